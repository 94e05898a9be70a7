// The oracle's test launcher, a small plain-JS process of its own. Why a separate
// process: Node forks every child from its own address space, and fork time grows with
// the parent's memory; the CLI (tsx, yargs, git libraries) is several times bigger than a
// bare Node, which made each trivial test several times dearer than under xargs.
//
// Each test runs as its own process group (setsid), output straight to files (no pipes
// through Node: megabytes cost nothing, and a leftover grandchild holding a pipe cannot
// make us wait). When a test ends, or its time is up, its whole group is killed, so a
// test that forks cannot outlive it. If the oracle goes away (stdin closes, or a signal),
// every running group is killed too.
//
// The launcher keeps its own queue and starts the next test the moment one exits, as
// xargs -P does: a round trip through the oracle per test would idle a core each time.
//
// Protocol, one JSON object per line. In: {type:"setup", env, jobs} once, then
// {id, file, args, cwd, env (extra), timeoutMs, logPath, stderrPath?, header, mkdir?},
// or {type:"kill"} (drop the queue, kill what runs). Out: {id, code, signal, timedOut,
// ms, headerBytes, spawnError?} or {id, cancelled: true}.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

let baseEnv = process.env;
let jobs = 1;
let running = 0;
const queue = [];
const live = new Set();

function pump() {
  while (running < jobs && queue.length) {
    running++;
    run(queue.shift());
  }
}

function done(o) {
  reply(o);
  running--;
  pump();
}

function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: already gone.
  }
}

function killAll() {
  for (const m of queue.splice(0)) reply({ id: m.id, cancelled: true });
  for (const pgid of live) killGroup(pgid);
}

function reply(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function describeSpawnError(e, file) {
  if (e && e.code === 'ENOENT') return `${file} not found (check "command" and the working directory)`;
  if (e && e.code === 'EACCES') return `${file} is not executable (chmod +x it)`;
  return String((e && e.message) || e);
}

function run(m) {
  let fd;
  let efd;
  let headerBytes = 0;
  try {
    if (m.mkdir) mkdirSync(m.mkdir, { recursive: true });
    fd = openSync(m.logPath, 'w');
    if (m.header) headerBytes = writeSync(fd, m.header);
    efd = m.stderrPath ? openSync(m.stderrPath, 'w') : fd;
  } catch (e) {
    done({ id: m.id, code: null, signal: null, timedOut: false, ms: 0, headerBytes, spawnError: `cannot write the log: ${e.message}` });
    return;
  }
  const start = performance.now();
  let timer;
  let timedOut = false;
  let settled = false;
  const finish = (r, pgid) => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    if (pgid !== undefined) {
      killGroup(pgid);
      live.delete(pgid);
    }
    done({ id: m.id, ...r, timedOut, ms: performance.now() - start, headerBytes });
  };
  let child;
  try {
    child = spawn(m.file, m.args, {
      cwd: m.cwd,
      env: m.env ? { ...baseEnv, ...m.env } : baseEnv,
      stdio: ['ignore', fd, efd],
      detached: true,
    });
  } catch (e) {
    finish({ code: null, signal: null, spawnError: describeSpawnError(e, m.file) });
    return;
  } finally {
    // The child holds its own copies.
    closeSync(fd);
    if (efd !== fd) closeSync(efd);
  }
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  child.on('error', (e) => finish({ code: null, signal: null, spawnError: describeSpawnError(e, m.file) }, pid));
  child.on('exit', (code, signal) => finish({ code, signal }, pid));
  timer = setTimeout(() => {
    timedOut = true;
    if (pid !== undefined) killGroup(pid);
  }, m.timeoutMs);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const m = JSON.parse(line);
  if (m.type === 'setup') {
    baseEnv = m.env;
    jobs = Math.max(1, m.jobs);
  } else if (m.type === 'kill') killAll();
  else {
    queue.push(m);
    pump();
  }
});
rl.on('close', () => {
  killAll();
  process.exit(0);
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    // Die of the same signal, so the oracle can tell an interrupt from a crash.
    process.removeAllListeners(sig);
    process.kill(process.pid, sig);
  });
}
