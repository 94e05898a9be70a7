/*
 * The oracle's fast test launcher. Why C: every trivial test costs one process start,
 * and the starter's own cost is what separates us from `xargs -P`. Node forks a copy of
 * its whole address space per child (~1 ms of CPU each); this program uses posix_spawn
 * (vfork-like) from a process of a few hundred kilobytes. It is compiled on first use
 * with the system's cc and cached; without a compiler the oracle uses spawner.mjs, which
 * behaves the same.
 *
 * Each test runs in its own process group, output straight to files. When a test ends,
 * or its time is up, its whole group is killed, so a test that forks cannot outlive it.
 * If the oracle goes away (stdin closes, or a signal), every running group is killed.
 *
 * Protocol: one line per message, fields separated by tabs, each field %-escaped
 * (%25 %09 %0A %0D %1F). In: "jobs N" once; "run ID TIMEOUT_MS CWD LOG ERRLOG HEADER
 * MKDIR ENV FILE ARG..." (ERRLOG/MKDIR may be empty, ENV is K=V pairs joined by \x1f);
 * "kill". Out: "ID CODE SIGNO TIMEDOUT MS HEADERBYTES [WHY-IT-COULD-NOT-START]" or
 * "ID cancelled".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct {
  char **f;  /* decoded fields; f[0] = "run" */
  int n;
} msg_t;

typedef struct {
  pid_t pid;
  char *id;
  double start, deadline;
  int timedout, hb;
} job_t;

static msg_t *queue;
static size_t qhead, qlen, qcap;
static job_t *jobs_run;
static int jobs = 1, nrun;
static int eof_in;
static char cwd_now[4096];

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void killgroup(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

static void kill_all(void) {
  for (; qhead < qlen; qhead++) printf("%s\tcancelled\n", queue[qhead].f[1]);
  for (int i = 0; i < nrun; i++) killgroup(jobs_run[i].pid);
  fflush(stdout);
}

static void on_signal(int sig) {
  for (int i = 0; i < nrun; i++) killgroup(jobs_run[i].pid);
  /* Die of the same signal, so the oracle can tell an interrupt from a crash. */
  signal(sig, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  raise(sig);
  _exit(128 + sig);
}

static void on_chld(int sig) { (void)sig; }

static char *decode(const char *s, size_t len) {
  char *out = malloc(len + 1), *o = out;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '%' && i + 2 < len) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      *o++ = (char)strtol(hex, NULL, 16);
      i += 2;
    } else {
      *o++ = s[i];
    }
  }
  *o = 0;
  return out;
}

static void handle_line(char *line, size_t len) {
  if (len == 0) return;
  msg_t m = {0};
  int cap = 16;
  m.f = malloc(sizeof(char *) * cap);
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || line[i] == '\t') {
      if (m.n + 1 >= cap) m.f = realloc(m.f, sizeof(char *) * (cap *= 2));
      m.f[m.n++] = decode(line + start, i - start);
      start = i + 1;
    }
  }
  m.f[m.n] = NULL;
  if (m.n >= 2 && strcmp(m.f[0], "jobs") == 0) {
    jobs = atoi(m.f[1]) > 0 ? atoi(m.f[1]) : 1;
    jobs_run = realloc(jobs_run, sizeof(job_t) * jobs);
  } else if (m.n >= 1 && strcmp(m.f[0], "kill") == 0) {
    kill_all();
  } else if (m.n >= 10 && strcmp(m.f[0], "run") == 0) {
    if (qlen == qcap) queue = realloc(queue, sizeof(msg_t) * (qcap = qcap ? qcap * 2 : 256));
    queue[qlen++] = m;
    return;
  }
  for (int i = 0; i < m.n; i++) free(m.f[i]);
  free(m.f);
}

/* PATH is searched once per command name per run, not once per test. */
static char *resolve(const char *file) {
  static char *names[64], *paths[64];
  static int n;
  if (strchr(file, '/')) return (char *)file;
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], file) == 0) return paths[i];
  const char *path = getenv("PATH");
  char *hit = NULL;
  if (path) {
    char *p = strdup(path), *save = NULL;
    for (char *d = strtok_r(p, ":", &save); d && !hit; d = strtok_r(NULL, ":", &save)) {
      char buf[4096];
      snprintf(buf, sizeof buf, "%s/%s", *d ? d : ".", file);
      if (access(buf, X_OK) == 0) hit = strdup(buf);
    }
    free(p);
  }
  if (!hit) return (char *)file;
  if (n < 64) {
    names[n] = strdup(file);
    paths[n++] = hit;
  }
  return hit;
}

static void start(msg_t *m) {
  char **f = m->f;
  /* run ID TIMEOUT CWD LOG ERRLOG HEADER MKDIR ENV FILE ARG... */
  char *id = f[1], *cwd = f[3], *log = f[4], *errlog = f[5], *header = f[6], *mk = f[7], *env = f[8];
  double t0 = now();
  if (*mk) mkdir(mk, 0777);
  int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out < 0) {
    printf("%s\t127\t0\t0\t0\t0\n", id);
    return;
  }
  int hb = 0;
  if (*header) hb = (int)write(out, header, strlen(header));
  if (hb < 0) hb = 0;
  int err = *errlog ? open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : out;
  if (err < 0) err = out;
  if (strcmp(cwd, cwd_now) != 0) {
    if (chdir(cwd) != 0) {
      dprintf(out, "[test-oracle] could not start: cd %s: %s\n", cwd, strerror(errno));
      printf("%s\t127\t0\t0\t0\t%d\n", id, hb);
      if (err != out) close(err);
      close(out);
      return;
    }
    snprintf(cwd_now, sizeof cwd_now, "%s", cwd);
  }

  /* environ plus this test's extra variables */
  size_t ne = 0, nx = 1;
  while (environ[ne]) ne++;
  for (char *c = env; *c; c++) nx += *c == '\x1f';
  char **envp = malloc(sizeof(char *) * (ne + nx + 1));
  size_t k = 0;
  char *extra = strdup(env), *save = NULL;
  char *xs[64];
  size_t nxs = 0;
  for (char *kv = strtok_r(extra, "\x1f", &save); kv && nxs < 64; kv = strtok_r(NULL, "\x1f", &save)) xs[nxs++] = kv;
  for (size_t i = 0; i < ne; i++) {
    int shadowed = 0;
    for (size_t j = 0; j < nxs && !shadowed; j++) {
      size_t kl = strcspn(xs[j], "=");
      shadowed = strncmp(environ[i], xs[j], kl) == 0 && environ[i][kl] == '=';
    }
    if (!shadowed) envp[k++] = environ[i];
  }
  for (size_t j = 0; j < nxs; j++) envp[k++] = xs[j];
  envp[k] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGCHLD);
  sigaddset(&dfl, SIGTERM);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, SIGHUP);
  sigaddset(&dfl, SIGPIPE); /* ignored here; an ignored signal would stay ignored in the test */
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  char *path = resolve(f[9]);
  int rc = posix_spawn(&pid, path, &fa, &at, f + 9, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(envp);
  free(extra);
  if (rc != 0) {
    char why[512];
    if (rc == ENOENT) snprintf(why, sizeof why, "%s not found (check \"command\" and the working directory)", f[9]);
    else if (rc == EACCES) snprintf(why, sizeof why, "%s is not executable (chmod +x it)", f[9]);
    else snprintf(why, sizeof why, "%s: %s", f[9], strerror(rc));
    for (char *c = why; *c; c++)
      if (*c == '\t' || *c == '\n') *c = ' ';
    dprintf(out, "[test-oracle] could not start: %s\n", why);
    printf("%s\t127\t0\t0\t%.1f\t%d\t%s\n", id, (now() - t0) * 1000, hb, why);
  } else {
    job_t *j = &jobs_run[nrun++];
    j->pid = pid;
    j->id = strdup(id);
    j->start = t0;
    j->deadline = t0 + atof(f[2]) / 1000;
    j->timedout = 0;
    j->hb = hb;
  }
  if (err != out) close(err);
  close(out);
}

static void pump(void) {
  while (nrun < jobs && qhead < qlen) {
    msg_t *m = &queue[qhead++];
    start(m);
    for (int i = 0; i < m->n; i++) free(m->f[i]);
    free(m->f);
  }
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (int i = 0; i < nrun; i++) {
      if (jobs_run[i].pid != pid) continue;
      job_t j = jobs_run[i];
      jobs_run[i] = jobs_run[--nrun];
      kill(-pid, SIGKILL); /* whatever the test left behind; not pid: it is reaped */
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : 0, sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
      printf("%s\t%d\t%d\t%d\t%.1f\t%d\n", j.id, code, sig, j.timedout, (now() - j.start) * 1000, j.hb);
      free(j.id);
      break;
    }
    pump();
  }
}

int main(void) {
  static char buf[1 << 16];
  char *line = NULL;
  size_t llen = 0, lcap = 0;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGHUP, on_signal);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_chld;
  sigaction(SIGCHLD, &sa, NULL);
  /* SIGCHLD is only let in while waiting in pselect: no lost wake-ups. */
  sigset_t block, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &waitmask);
  sigdelset(&waitmask, SIGCHLD);
  jobs_run = malloc(sizeof(job_t));
  for (;;) {
    pump();
    reap();
    fflush(stdout);
    double t = now(), next = -1;
    for (int i = 0; i < nrun; i++) {
      job_t *j = &jobs_run[i];
      if (j->timedout) continue;
      if (t >= j->deadline) {
        j->timedout = 1;
        killgroup(j->pid);
      } else if (next < 0 || j->deadline - t < next) {
        next = j->deadline - t;
      }
    }
    if (eof_in && nrun == 0 && qhead >= qlen) break;
    fd_set rf;
    FD_ZERO(&rf);
    /* Input is read even with every slot busy: it may be "kill". */
    int watch = !eof_in;
    if (watch) FD_SET(0, &rf);
    struct timespec ts, *tp = NULL;
    if (next >= 0) {
      ts.tv_sec = (time_t)next;
      ts.tv_nsec = (long)((next - ts.tv_sec) * 1e9) + 1000000;
      if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
      tp = &ts;
    }
    if (!watch && nrun == 0) continue;
    int n = pselect(watch ? 1 : 0, &rf, NULL, NULL, tp, &waitmask);
    if (n > 0 && FD_ISSET(0, &rf)) {
      ssize_t got = read(0, buf, sizeof buf);
      if (got <= 0) {
        /* The oracle is gone or done: nothing we started may outlive it. */
        eof_in = 1;
        kill_all();
        continue;
      }
      for (ssize_t i = 0; i < got; i++) {
        if (buf[i] == '\n') {
          handle_line(line, llen);
          llen = 0;
        } else {
          if (llen + 1 >= lcap) line = realloc(line, lcap = lcap ? lcap * 2 : 4096);
          line[llen++] = buf[i];
        }
      }
    }
  }
  fflush(stdout);
  return 0;
}
