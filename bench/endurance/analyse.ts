// After the run: collect what happened (collect.ts) and judge it (checks.ts), plus the
// figures the benchmark prints beside the checks.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoStatus } from '../../demo/index.js';
import { readEvents } from '../../harness/events/log.js';
import { pendingSummary } from '../../harness/tasks/journal.js';
import { checks, heldByEnded, lostCommits, passDrops, type Check, type HeldReport, type LostReport } from './checks.js';
import { claimSpans, commitsSince, findRewrites, selfAndAncestors, dirBytes, judgeTips, landingTimes, processesUnder, reachable, readCommitLog, reflogMain, sessionEnds, wipRefs } from './collect.js';
import { benchEnv, type DriveResult } from './drive.js';
import { paceByPart } from './pace.js';

export const HELD_LIMIT_MS = 60_000;

export interface Figures {
  wallMs: number;
  sessions: number;
  sessionsPerMin: number;
  /** sessions started per minute in each quarter of the run, outage minutes left out */
  pace: (number | null)[];
  commitsOnMain: number;
  commitsPerMin: number;
  peakRssBytes: number;
  swarmBytes: number;
  wipRefs: number;
  supervisorRuns: number;
  /** what the session logs say happened, by marker */
  observed: Record<string, number>;
  held: HeldReport;
  lost: LostReport;
  unownedClaims: number;
}

const MARKERS: [string, RegExp][] = [
  ['finished', /^sim: \S+ FINISHED /m],
  ['crash', /^sim: \S+ CRASH /m],
  ['hang', /^sim: \S+ HANG /m],
  ['regression pushed', /^sim: \S+ REGRESSION \(/m],
  ['rate limit', /^sim: \S+ RATE LIMIT /m],
  ['refused by the gate', /upstream refused the push: ERROR gate:/],
  ['gate let through untested', /WARNING test gate/],
  ['gave up', /^sim: \S+ GIVING UP /m],
  ['nothing left', /^sim: \S+ NOTHING (LEFT|TO CLAIM)/m],
  ['conflicts resolved', /^sim: \S+ CONFLICT in /m],
];

function observed(swarm: string): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(MARKERS.map(([k]) => [k, 0]));
  const logs = path.join(swarm, 'agent_logs');
  if (!existsSync(logs)) return out;
  for (const agent of readdirSync(logs)) {
    for (const f of readdirSync(path.join(logs, agent))) {
      const text = readFileSync(path.join(logs, agent, f), 'utf8');
      for (const [k, re] of MARKERS) if (re.test(text)) out[k]!++;
    }
  }
  return out;
}

export async function analyse(d: DriveResult, opts: { gate: boolean; say: (l: string) => void }): Promise<{ checks: Check[]; figures: Figures }> {
  const env = benchEnv();
  await sleep(2000); // let killed process groups finish dying before looking for orphans
  const orphans = processesUnder(path.dirname(d.swarm), selfAndAncestors());
  const status = await demoStatus(d.upstream, { env });
  const reflog = reflogMain(d.upstream);
  const landed = landingTimes(d.upstream, reflog);
  const { spans, unowned } = claimSpans(d.upstream, landed);
  const events = readEvents(path.join(d.swarm, 'events.jsonl'));
  const held = heldByEnded(spans, sessionEnds(events, d.deaths), d.outages, d.endedAt);
  const records = readCommitLog(d.commitLog);
  const safe = reachable(d.upstream);
  const first = lostCommits(records, safe);
  const agentOf = new Map(records.map((r) => [r.sha, r.agent]));
  const lost = lostCommits(records, safe, findRewrites(d.upstream, d.swarm, first.lost.map((sha) => ({ sha, agent: agentOf.get(sha)! }))));
  const pending = pendingSummary(path.join(d.swarm, 'pending'), Date.now()).count;
  let lastSay = 0;
  const tips = opts.gate
    ? await judgeTips(d.upstream, reflog, path.dirname(d.swarm), (n, all) => {
        if (Date.now() - lastSay > 15_000 || n === all) (lastSay = Date.now()), opts.say(`  judging main's landed tips: ${n}/${all} distinct src/ trees`);
      })
    : [];
  const starts = events.filter((e) => e.type === 'session_start').map((e) => Date.parse(e.ts));
  const sessions = starts.length;
  const wallMs = d.endedAt - d.startedAt;
  const commitsOnMain = commitsSince(d.upstream, reflog[0]?.sha);
  const min = wallMs / 60_000;
  const figures: Figures = {
    wallMs, sessions, sessionsPerMin: sessions / min, pace: paceByPart(starts, d.startedAt, d.endedAt, d.outages), commitsOnMain, commitsPerMin: commitsOnMain / min,
    peakRssBytes: d.peakRssBytes, swarmBytes: dirBytes(d.swarm), wipRefs: wipRefs(d.upstream), supervisorRuns: d.supervisorRuns,
    observed: observed(d.swarm), held, lost, unownedClaims: unowned,
  };
  const list = checks({
    tasks: { done: status.tasksDone, total: status.tasksTotal, allDone: status.allDone },
    lost, staleClaims: status.claims, pending, held, heldLimitMs: HELD_LIMIT_MS,
    gate: opts.gate, drops: passDrops(tips), tipsJudged: tips.length, orphans, humanTouches: d.touches,
  });
  list.push({ name: 'every planned fault applied', ok: d.unapplied.length === 0, detail: d.unapplied.length ? `${d.unapplied.length} never came due (the run ended first): ${d.unapplied.map((e) => `${e.kind}@${e.atSession}`).join(', ')}${d.touches.length ? '' : '; raise --tasks'}` : `${d.applied.length} run events applied: ${d.applied.map((e) => e.kind).join(', ')}` });
  return { checks: list, figures };
}
