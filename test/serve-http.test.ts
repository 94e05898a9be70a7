// The request side of the server's smart HTTP: a fetch's request body read whole, and refused
// with an answer (not a reset) when it is too large or of the wrong type.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readWhole } from '../harness/serve/smart-http.js';

let server: http.Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serveReadWhole(): Promise<string> {
  server = http.createServer((req, res) => {
    void readWhole(req, res, { service: 'upload-pack', advertise: false }).then((body) => {
      if (body) res.end(`read ${body.length}`);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/git-upload-pack`;
}

const post = (url: string, body: Buffer, type = 'application/x-git-upload-pack-request') =>
  fetch(url, { method: 'POST', body: new Uint8Array(body), headers: { 'Content-Type': type } }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('readWhole', () => {
  it('reads a body whole', async () => {
    expect(await post(await serveReadWhole(), Buffer.alloc(70_000, 1))).toEqual({ status: 200, text: 'read 70000' });
  });

  it('answers 413 with the reason to a body over 10 MiB, then closes', async () => {
    const r = await post(await serveReadWhole(), Buffer.alloc(11 << 20, 1)).catch((e: Error) => ({ status: -1, text: e.message }));
    expect(r).toEqual({ status: 413, text: 'request too large\n' });
  });

  it('answers 400 to a body that is not the gzip it says it is', async () => {
    const url = await serveReadWhole();
    const r = await fetch(url, { method: 'POST', body: new Uint8Array(200_000).fill(7), headers: { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' } });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/bad gzip/);
  });

  it('answers 415 to another content type', async () => {
    expect((await post(await serveReadWhole(), Buffer.from('x'), 'text/plain')).status).toBe(415);
  });
});
