// DESIGN.md's dependency rule, over the real import edges: no new edge against the layering.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, run by node in CI and read here
import { importEdges, known, violations } from '../scripts/layers.mjs';

describe('the layering', () => {
  it('reads the import edges (a check that sees no edges would pass anything)', () => {
    const edges = importEdges() as [string, string][];
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual(['harness/main.ts', 'harness/cli.ts']);
  });

  it('has no import edge against the layering beyond the known ones, and every known one still exists', () => {
    const now = violations() as string[];
    const list = known() as string[];
    const added = now.filter((v) => !list.includes(v));
    const gone = list.filter((v) => !now.includes(v));
    expect(added, 'new import edges against the layering (DESIGN.md, "Parts and where they live"): import through the layer below instead').toEqual([]);
    expect(gone, 'these known edges are gone: delete their lines from scripts/layers-known.txt').toEqual([]);
  });
});
