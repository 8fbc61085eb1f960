/*
 * kepler-spawner: the daemon's fork server. The daemon (Node, ~60 MB, no code between fork and exec)
 * starts it once; for each request it forks this small process, and the child sets everything up
 * and execs the service in one step: setsid, open stdin/stdout/stderr, join the cgroup, setrlimit,
 * setgroups, setgid, setuid, chdir, execve. One exec per service, no helper binaries.
 *
 * Channel: requests on fd 0, replies on fd 1 (a socketpair or pipes from the daemon).
 *   request: u32 little-endian length, then NUL-terminated fields, the first naming the request:
 *     "spawn", id, exe, cwd, cgroup.procs path or "", stdout path, stdout open flags, stderr path,
 *     stderr open flags, RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE ("" = unchanged), uid ("" = keep the
 *     spawner's credentials), gid, groups (comma-separated), argc, argv..., envc, env...
 *   replies, one line each:
 *     S <id> <pid> <starttime>   exec'd (starttime: /proc/<pid>/stat field 22)
 *     F <id> <step> <errno>      failed before exec (the child is reaped, no X follows)
 *     X <pid> <code> <signal>    a started child exited and was reaped (-1 for the one not set)
 *   "ping", id: answered `P <id>`, after the X lines of everything reaped before it was read.
 * EOF on fd 0 (the daemon died or let go): exit at once, leaving every started process alone.
 * Every child this process forks is reaped here; no zombies stay behind.
 * It is the child subreaper of what it starts (PR_SET_CHILD_SUBREAPER): a process a service forked
 * whose parent exited (a daemonising `type: forking` service) is re-parented here, not to init, so
 * its exit is reaped and reported with an X line like any other, with no polling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME_BYTES (64u * 1024 * 1024)
#define FIXED_FIELDS 15

struct pending {
	pid_t pid;
	int errfd;
	char id[32];
	char start[32];
};

static struct pending *pending;
static size_t npending, cappending;

static void die(const char *what) {
	fprintf(stderr, "kepler-spawner: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *xrealloc(void *p, size_t n) {
	p = realloc(p, n);
	if (p == NULL) die("realloc");
	return p;
}

static void write_all(int fd, const char *buf, size_t len) {
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR) continue;
			exit(0); /* the daemon is gone: nothing left to tell */
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0) write_all(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* What the child reports before _exit(127) when a step fails. */
struct failure {
	char step[24];
	int err;
};

static void fail(int errfd, const char *step) {
	struct failure f;
	memset(&f, 0, sizeof f);
	strncpy(f.step, step, sizeof f.step - 1);
	f.err = errno;
	if (write(errfd, &f, sizeof f) < 0) { /* nothing left to tell it with */ }
	_exit(127);
}

struct request {
	char *id, *exe, *cwd, *cgroup, *out, *err, *uid, *gid, *groups;
	int outflags, errflags;
	char *limit[3];
	char **argv, **envp;
};

static const int LIMIT_RESOURCE[3] = {RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE};
static const char *const LIMIT_STEP[3] = {"setrlimit(AS)", "setrlimit(CPU)", "setrlimit(NOFILE)"};

static void child(const struct request *r, int errfd) {
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0) fail(errfd, "setsid");
	/* Opened with the daemon's credentials: the paths are /proc/<daemon>/fd/N or /dev/null. */
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0) fail(errfd, "open(/dev/null)");
	int out = open(r->out, r->outflags | O_CLOEXEC);
	if (out < 0) fail(errfd, "open(stdout)");
	int err = open(r->err, r->errflags | O_CLOEXEC);
	if (err < 0) fail(errfd, "open(stderr)");
	if (r->cgroup[0] != '\0') {
		/* A failed join is ignored (as before): the process group and marker still find it. */
		int fd = open(r->cgroup, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			char pid[24];
			int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
			if (write(fd, pid, (size_t)n) < 0) { /* ignored, see above */ }
			close(fd);
		}
	}
	for (int i = 0; i < 3; i++) {
		if (r->limit[i][0] == '\0') continue;
		rlim_t v = (rlim_t)strtoull(r->limit[i], NULL, 10);
		struct rlimit rl = {v, v};
		if (setrlimit(LIMIT_RESOURCE[i], &rl) < 0) fail(errfd, LIMIT_STEP[i]);
	}
	if (r->uid[0] != '\0') {
		/* Order matters: groups and gid need the privileges that setuid gives up. */
		size_t n = 0;
		gid_t groups[NGROUPS_MAX > 65536 ? 65536 : NGROUPS_MAX];
		for (char *p = r->groups; *p != '\0' && n < sizeof groups / sizeof groups[0];) {
			groups[n++] = (gid_t)strtoul(p, &p, 10);
			if (*p == ',') p++;
		}
		if (setgroups(n, groups) < 0) fail(errfd, "setgroups");
		if (setgid((gid_t)strtoul(r->gid, NULL, 10)) < 0) fail(errfd, "setgid");
		if (setuid((uid_t)strtoul(r->uid, NULL, 10)) < 0) fail(errfd, "setuid");
	}
	/* After the credentials: the kernel then checks that the service's user may enter it (EACCES). */
	if (chdir(r->cwd) < 0) fail(errfd, "chdir");
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail(errfd, "dup2");
	execve(r->exe, r->argv, r->envp);
	fail(errfd, "exec");
}

static char *read_start_time(pid_t pid) {
	static char buf[1024], start[32];
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	start[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return start;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) return start;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may hold spaces: fields start after the last ')' */
	if (p == NULL) return start;
	p += 2;
	for (int field = 3; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL) p++;
	}
	if (p == NULL) return start;
	size_t len = strcspn(p, " ");
	if (len >= sizeof start) len = sizeof start - 1;
	memcpy(start, p, len);
	start[len] = '\0';
	return start;
}

/* Splits a frame into a request; -1 when it is malformed. Pointers point into `frame`. */
static int parse(char *frame, size_t len, struct request *r, char ***vec) {
	char *fields[FIXED_FIELDS];
	char *p = frame, *end = frame + len;
	if (len == 0 || frame[len - 1] != '\0') return -1;
	for (int i = 0; i < FIXED_FIELDS; i++) {
		if (p >= end) return -1;
		fields[i] = p;
		p += strlen(p) + 1;
	}
	r->id = fields[0];
	r->exe = fields[1];
	r->cwd = fields[2];
	r->cgroup = fields[3];
	r->out = fields[4];
	r->outflags = atoi(fields[5]);
	r->err = fields[6];
	r->errflags = atoi(fields[7]);
	r->limit[0] = fields[8];
	r->limit[1] = fields[9];
	r->limit[2] = fields[10];
	r->uid = fields[11];
	r->gid = fields[12];
	r->groups = fields[13];
	long argc = strtol(fields[14], NULL, 10);
	if (argc < 1 || (size_t)argc > len) return -1;
	*vec = xrealloc(*vec, (len + 4) * sizeof(char *));
	char **v = *vec;
	size_t k = 0;
	r->argv = v;
	for (long i = 0; i < argc; i++, p += strlen(p) + 1) {
		if (p >= end) return -1;
		v[k++] = p;
	}
	v[k++] = NULL;
	if (p >= end) return -1;
	long envc = strtol(p, NULL, 10);
	p += strlen(p) + 1;
	if (envc < 0 || (size_t)envc > len) return -1;
	r->envp = v + k;
	for (long i = 0; i < envc; i++, p += strlen(p) + 1) {
		if (p >= end) return -1;
		v[k++] = p;
	}
	v[k] = NULL;
	return 0;
}

static void spawn(char *frame, size_t len) {
	static char **vec;
	struct request r;
	if (parse(frame, len, &r, &vec) < 0) {
		fprintf(stderr, "kepler-spawner: malformed request\n");
		exit(1);
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		reply("F %s pipe %d\n", r.id, errno);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		reply("F %s fork %d\n", r.id, errno);
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(&r, pipefd[1]);
	}
	close(pipefd[1]);
	if (npending == cappending) {
		cappending = cappending ? cappending * 2 : 16;
		pending = xrealloc(pending, cappending * sizeof *pending);
	}
	struct pending *p = &pending[npending++];
	p->pid = pid;
	p->errfd = pipefd[0];
	snprintf(p->id, sizeof p->id, "%s", r.id);
	/* Read now: the child cannot be reaped before this loop does it, so /proc/<pid> exists. */
	snprintf(p->start, sizeof p->start, "%s", read_start_time(pid));
}

/* The exec result of pending[i] is readable (or its child is gone): report S or F. Returns 1 on F. */
static int settle(size_t i) {
	struct pending p = pending[i];
	pending[i] = pending[--npending];
	struct failure f;
	ssize_t n;
	do n = read(p.errfd, &f, sizeof f);
	while (n < 0 && errno == EINTR);
	close(p.errfd);
	if (n == (ssize_t)sizeof f) {
		f.step[sizeof f.step - 1] = '\0';
		reply("F %s %s %d\n", p.id, f.step, f.err);
		while (waitpid(p.pid, NULL, 0) < 0 && errno == EINTR) {}
		return 1;
	}
	reply("S %s %d %s\n", p.id, (int)p.pid, p.start[0] ? p.start : "0");
	return 0;
}

static void reap(void) {
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) return;
		int failed = 0;
		for (size_t i = 0; i < npending; i++) {
			if (pending[i].pid == pid) {
				failed = settle(i); /* its S (or F) goes before its X */
				break;
			}
		}
		if (failed) continue;
		if (WIFSIGNALED(status)) reply("X %d -1 %d\n", (int)pid, WTERMSIG(status));
		else reply("X %d %d -1\n", (int)pid, WEXITSTATUS(status));
	}
}

int main(void) {
	sigset_t chld_mask;
	sigemptyset(&chld_mask);
	sigaddset(&chld_mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld_mask, NULL) < 0) die("sigprocmask");
	/* Not fatal: without it, orphans go to init and the daemon polls for their exit instead. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) { /* see above */ }
	int sigfd = signalfd(-1, &chld_mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) die("signalfd");
	fcntl(0, F_SETFD, FD_CLOEXEC);
	fcntl(1, F_SETFD, FD_CLOEXEC);

	char *buf = NULL;
	size_t have = 0, cap = 0;
	struct pollfd *fds = NULL;
	for (;;) {
		fds = xrealloc(fds, (npending + 2) * sizeof *fds);
		fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		size_t polled = npending;
		for (size_t i = 0; i < polled; i++) fds[i + 2] = (struct pollfd){.fd = pending[i].errfd, .events = POLLIN};
		if (poll(fds, polled + 2, -1) < 0) {
			if (errno == EINTR) continue;
			die("poll");
		}
		/* Exec results first, from the highest index: settle() moves the last entry into the hole. */
		for (size_t i = polled; i-- > 0;) {
			if (fds[i + 2].revents != 0) {
				for (size_t j = 0; j < npending; j++) {
					if (pending[j].errfd == fds[i + 2].fd) {
						settle(j);
						break;
					}
				}
			}
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof si) > 0) {}
			reap();
		}
		if (fds[0].revents != 0) {
			if (cap - have < 65536) {
				cap = cap ? cap * 2 : 131072;
				buf = xrealloc(buf, cap);
			}
			ssize_t n = read(0, buf + have, cap - have);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) return 0; /* the daemon is gone: its services keep running */
			have += (size_t)n;
			size_t at = 0;
			while (have - at >= 4) {
				uint32_t len = (uint32_t)(unsigned char)buf[at] | (uint32_t)(unsigned char)buf[at + 1] << 8 |
				               (uint32_t)(unsigned char)buf[at + 2] << 16 | (uint32_t)(unsigned char)buf[at + 3] << 24;
				if (len > MAX_FRAME_BYTES) {
					fprintf(stderr, "kepler-spawner: request of %u bytes refused\n", len);
					return 1;
				}
				if (have - at - 4 < len) {
					if (cap < len + 4) {
						cap = len + 4;
						buf = xrealloc(buf, cap);
					}
					break;
				}
				char *frame = buf + at + 4;
				size_t verb = strnlen(frame, len) + 1;
				if (verb <= len && strcmp(frame, "spawn") == 0) spawn(frame + verb, len - verb);
				else if (verb < len && strcmp(frame, "ping") == 0 && frame[len - 1] == '\0')
					reply("P %s\n", frame + verb); /* after every X line of what was reaped before it */
				else {
					fprintf(stderr, "kepler-spawner: unknown request\n");
					return 1;
				}
				at += 4 + len;
			}
			memmove(buf, buf + at, have - at);
			have -= at;
		}
	}
}
