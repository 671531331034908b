/* C reference points for benches/receive.py (compiled at run time with gcc
 * into /tmp; never committed as a binary). Loopback only: every address is
 * 127.0.0.1.
 *
 *   cbench recv MODE RCVBUF          MODE: recvmmsg | recvfrom | recvmmsg-qudpcfg
 *                                    | recvmmsg-bigslots
 *       (recvmmsg-qudpcfg: the system calls qudp makes: 64 messages, each
 *       scattered over [a 2 KiB slot][a 62 KiB overflow area], the slots
 *       contiguous; sockaddr_storage names, IP_PKTINFO + IP_RECVTTL control
 *       messages. recvmmsg-bigslots: the same with one 64 KiB slot per
 *       message, qudp's layout before its receive memory followed traffic)
 *       bind 127.0.0.1:0, print "PORT <p>", then read commands on stdin:
 *       "go <expected>"  : receive exactly <expected> datagrams (pre-queued)
 *                          and print one JSON line with the CPU time spent;
 *       "window <sec>"   : receive for <sec> seconds (saturated mode), print
 *                          JSON; then "drain" receives what is left;
 *       "exit".
 *   cbench blast PORT SECONDS SIZE [gso|mmsg] [RATE]
 *                                     sendmmsg (or UDP GSO sendmsg, 64
 *                                     datagrams per call) at full speed, or
 *                                     paced at RATE datagrams/s (each call
 *                                     waits for its scheduled time); prints
 *                                     the count and the rate achieved
 *   cbench send MODE PORT N SIZE      MODE sendto|sendmmsg|gso: send N, print CPU
 *                                     (gso: sendto of 64 datagrams in one
 *                                     buffer with UDP_SEGMENT, the kernel's
 *                                     cheapest way to send many)
 *   cbench echo RCVBUF                echo server: prints "PORT <p>", echoes
 *                                     until a datagram "STOP" or 30 s idle
 *   cbench ping PORT COUNT WARMUP SIZE  round trips, prints latencies (ns)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define VLEN 64
#define SLOT 2048
#define BIG_VLEN 64
#define BIG_SLOT 65536
#define CTRL 256

static volatile sig_atomic_t stop_flag;
static void on_alarm(int sig) { (void)sig; stop_flag = 1; }

static double now_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double now_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static void rusage_now(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
static void die(const char *what) { perror(what); exit(2); }

static int udp_socket(int rcvbuf) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    if (rcvbuf > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
        die("SO_RCVBUF");
    return fd;
}
static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}
static int bound_port(int fd) {
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname");
    return ntohs(a.sin_port);
}

static char bufs[VLEN][SLOT];
static struct sockaddr_in addrs[VLEN];
static struct mmsghdr msgs[VLEN];
static struct iovec iovs[VLEN];
static struct iovec iov2[BIG_VLEN][2];

/* Receive configuration: VLEN x SLOT (default) or qudp's. */
static int vlen = VLEN;
static socklen_t namelen = sizeof(struct sockaddr_in);
static char *big;
static struct sockaddr_storage big_names[BIG_VLEN];
static unsigned long long ctrl[BIG_VLEN][CTRL / 8];
static int with_ctrl;

static void setup_mmsg(void) {
    for (int i = 0; i < VLEN; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = SLOT;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    }
}

static void setup_qudpcfg(int fd, int split) {
    int on = 1;
    big = calloc(BIG_VLEN, BIG_SLOT);
    if (!big) die("calloc");
    vlen = BIG_VLEN;
    namelen = sizeof(struct sockaddr_storage);
    with_ctrl = 1;
    for (int i = 0; i < BIG_VLEN; i++) {
        if (split) {
            /* slots first, back to back; then one overflow area per message */
            iov2[i][0].iov_base = big + (size_t)i * SLOT;
            iov2[i][0].iov_len = SLOT;
            iov2[i][1].iov_base = big + (size_t)BIG_VLEN * SLOT + (size_t)i * (BIG_SLOT - SLOT);
            iov2[i][1].iov_len = BIG_SLOT - SLOT;
            msgs[i].msg_hdr.msg_iov = iov2[i];
            msgs[i].msg_hdr.msg_iovlen = 2;
        } else {
            iovs[i].iov_base = big + (size_t)i * BIG_SLOT;
            iovs[i].iov_len = BIG_SLOT;
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        msgs[i].msg_hdr.msg_name = &big_names[i];
        msgs[i].msg_hdr.msg_namelen = namelen;
    }
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) < 0) die("IP_PKTINFO");
    if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on) < 0) die("IP_RECVTTL");
}

/* Receive until `expected` datagrams (0 = until stop_flag). Returns count. */
static long recv_loop(int fd, int use_mmsg, long expected, int flags) {
    long n = 0;
    while (expected == 0 || n < expected) {
        if (use_mmsg) {
            long want = vlen;
            if (expected && expected - n < want) want = expected - n;
            for (int i = 0; i < want; i++) {
                msgs[i].msg_hdr.msg_namelen = namelen;
                if (with_ctrl) {
                    msgs[i].msg_hdr.msg_control = ctrl[i];
                    msgs[i].msg_hdr.msg_controllen = CTRL;
                }
            }
            int r = recvmmsg(fd, msgs, (unsigned)want, flags | MSG_WAITFORONE, NULL);
            if (r < 0) {
                if (errno == EINTR && stop_flag) break;
                if (errno == EINTR) continue;
                if (errno == EAGAIN) break;
                die("recvmmsg");
            }
            n += r;
        } else {
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            ssize_t r = recvfrom(fd, bufs[0], SLOT, flags, (struct sockaddr *)&from, &fl);
            if (r < 0) {
                if (errno == EINTR && stop_flag) break;
                if (errno == EINTR) continue;
                if (errno == EAGAIN) break;
                die("recvfrom");
            }
            n++;
        }
        if (stop_flag) break;
    }
    return n;
}

static int cmd_recv(int argc, char **argv) {
    if (argc < 4) return 64;
    int use_mmsg = strncmp(argv[2], "recvmmsg", 8) == 0;
    int fd = udp_socket(atoi(argv[3]));
    setup_mmsg();
    if (strcmp(argv[2], "recvmmsg-qudpcfg") == 0) setup_qudpcfg(fd, 1);
    if (strcmp(argv[2], "recvmmsg-bigslots") == 0) setup_qudpcfg(fd, 0);
    printf("PORT %d\n", bound_port(fd));
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: the blocking call returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        double c0, c1, w0, w1, u0, s0, u1, s1;
        if (strncmp(line, "go ", 3) == 0) {
            long expected = atol(line + 3);
            rusage_now(&u0, &s0);
            c0 = now_cpu();
            w0 = now_wall();
            long n = expected ? recv_loop(fd, use_mmsg, expected, 0) : 0;
            c1 = now_cpu();
            w1 = now_wall();
            rusage_now(&u1, &s1);
            long extra = recv_loop(fd, use_mmsg, 0, MSG_DONTWAIT);
            printf("{\"received\": %ld, \"extra\": %ld, \"cpu\": %.9f, \"wall\": %.9f, "
                   "\"user\": %.6f, \"sys\": %.6f}\n",
                   n, extra, c1 - c0, w1 - w0, u1 - u0, s1 - s0);
        } else if (strncmp(line, "window ", 7) == 0) {
            double sec = atof(line + 7);
            struct itimerval it;
            memset(&it, 0, sizeof it);
            it.it_value.tv_sec = (long)sec;
            it.it_value.tv_usec = (long)((sec - (long)sec) * 1e6);
            stop_flag = 0;
            rusage_now(&u0, &s0);
            c0 = now_cpu();
            w0 = now_wall();
            setitimer(ITIMER_REAL, &it, NULL);
            long n = recv_loop(fd, use_mmsg, 0, 0);
            c1 = now_cpu();
            w1 = now_wall();
            rusage_now(&u1, &s1);
            printf("{\"received\": %ld, \"cpu\": %.9f, \"wall\": %.9f, \"user\": %.6f, "
                   "\"sys\": %.6f}\n",
                   n, c1 - c0, w1 - w0, u1 - u0, s1 - s0);
        } else if (strncmp(line, "drain", 5) == 0) {
            stop_flag = 0;
            long extra = recv_loop(fd, use_mmsg, 0, MSG_DONTWAIT);
            printf("{\"drained\": %ld}\n", extra);
        } else if (strncmp(line, "exit", 4) == 0) {
            break;
        }
        fflush(stdout);
    }
    close(fd);
    return 0;
}

static void fill_payload(char *p, int size, long seq) {
    memset(p, 'x', (size_t)size);
    if (size >= 8) memcpy(p, &seq, sizeof seq);
}

/* Wait until `due` (wall clock): sleep while more than 0.2 ms ahead, then
 * spin, so that a paced sender keeps its schedule to a few microseconds.
 * Returns 1 when `end` comes first. */
static int pace(double due, double end) {
    for (;;) {
        double now = now_wall();
        if (now >= end) return 1;
        if (now >= due) return 0;
        if (due - now > 2e-4) {
            struct timespec ts = {0, (long)((due - now - 1e-4) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
}

static int cmd_blast(int argc, char **argv) {
    if (argc < 5) return 64;
    struct sockaddr_in to = loopback(atoi(argv[2]));
    double secs = atof(argv[3]);
    int size = atoi(argv[4]);
    if (size > SLOT) size = SLOT;
    int fd = udp_socket(0);
    for (int i = 0; i < VLEN; i++) {
        fill_payload(bufs[i], size, i);
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = (size_t)size;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    long sent = 0, errors = 0;
    double end = now_wall() + secs;
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
    int gso = argc > 5 && strcmp(argv[5], "gso") == 0;
    double rate = argc > 6 ? atof(argv[6]) : 0.0; /* datagrams per second; 0: flat out */
    int seg = size;
    if (gso && setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof seg) < 0) {
        perror("UDP_SEGMENT (falling back to sendmmsg)");
        gso = 0;
    }
    if (gso) {
        /* One sendmsg carries VLEN datagrams of `size` bytes: the kernel
         * segments it, so the sender pays the routing and loopback cost
         * once per call instead of once per datagram. */
        static char gso_buf[VLEN * SLOT];
        for (int i = 0; i < VLEN; i++) fill_payload(gso_buf + i * size, size, i);
        double t0 = now_wall();
        for (long calls = 0; calls < 100000000L && now_wall() < end; calls++) {
            if (rate > 0 && pace(t0 + (double)sent / rate, end)) break;
            ssize_t r = sendto(fd, gso_buf, (size_t)size * VLEN, 0, (struct sockaddr *)&to, sizeof to);
            if (r < 0) {
                if (errno == EINTR) continue;
                if (++errors > 1000) die("sendto(gso)");
                continue;
            }
            sent += r / size;
        }
        printf("{\"sent\": %ld, \"errors\": %ld, \"gso\": 1, \"rate\": %.1f}\n", sent, errors,
               sent / (now_wall() - t0));
        close(fd);
        return 0;
    }
    /* Bounded in time (and by a hard cap on calls). */
    double t0 = now_wall();
    for (long calls = 0; calls < 100000000L && now_wall() < end; calls++) {
        if (rate > 0 && pace(t0 + (double)sent / rate, end)) break;
        int r = sendmmsg(fd, msgs, VLEN, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            errors++;
            if (errors > 1000) die("sendmmsg");
            continue;
        }
        sent += r;
    }
    printf("{\"sent\": %ld, \"errors\": %ld, \"gso\": 0, \"rate\": %.1f}\n", sent, errors,
           sent / (now_wall() - t0));
    close(fd);
    return 0;
}

static int cmd_send(int argc, char **argv) {
    if (argc < 6) return 64;
    int use_mmsg = strcmp(argv[2], "sendmmsg") == 0;
    int use_gso = strcmp(argv[2], "gso") == 0;
    struct sockaddr_in to = loopback(atoi(argv[3]));
    long n = atol(argv[4]);
    int size = atoi(argv[5]);
    if (size > SLOT) size = SLOT;
    int fd = udp_socket(0);
    for (int i = 0; i < VLEN; i++) {
        fill_payload(bufs[i], size, i);
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = (size_t)size;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    double u0, s0, u1, s1;
    rusage_now(&u0, &s0);
    double c0 = now_cpu(), w0 = now_wall();
    long sent = 0;
    static char gso_buf[VLEN * SLOT];
    if (use_gso) {
        int seg = size;
        if (setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof seg) < 0) die("UDP_SEGMENT");
        for (int i = 0; i < VLEN; i++) fill_payload(gso_buf + i * size, size, i);
    }
    while (sent < n) {
        if (use_gso) {
            long want = n - sent < VLEN ? n - sent : VLEN;
            ssize_t r = sendto(fd, gso_buf, (size_t)size * (size_t)want, 0, (struct sockaddr *)&to, sizeof to);
            if (r < 0) die("sendto(gso)");
            sent += r / size;
        } else if (use_mmsg) {
            long want = n - sent < VLEN ? n - sent : VLEN;
            int r = sendmmsg(fd, msgs, (unsigned)want, 0);
            if (r < 0) die("sendmmsg");
            sent += r;
        } else {
            if (sendto(fd, bufs[0], (size_t)size, 0, (struct sockaddr *)&to, sizeof to) < 0)
                die("sendto");
            sent++;
        }
    }
    double c1 = now_cpu(), w1 = now_wall();
    rusage_now(&u1, &s1);
    printf("{\"sent\": %ld, \"cpu\": %.9f, \"wall\": %.9f, \"user\": %.6f, \"sys\": %.6f}\n",
           sent, c1 - c0, w1 - w0, u1 - u0, s1 - s0);
    close(fd);
    return 0;
}

static int cmd_echo(int argc, char **argv) {
    int fd = udp_socket(argc > 2 ? atoi(argv[2]) : 0);
    printf("PORT %d\n", bound_port(fd));
    fflush(stdout);
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[SLOT];
    for (long i = 0; i < 100000000L; i++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (r < 0) {
            if (errno == EINTR) continue;
            break; /* idle timeout */
        }
        if (r == 4 && memcmp(buf, "STOP", 4) == 0) break;
        sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
    }
    close(fd);
    return 0;
}

static int cmd_ping(int argc, char **argv) {
    if (argc < 6) return 64;
    struct sockaddr_in to = loopback(atoi(argv[2]));
    long count = atol(argv[3]), warmup = atol(argv[4]);
    int size = atoi(argv[5]);
    if (size > SLOT) size = SLOT;
    int fd = udp_socket(0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char out[SLOT], in[SLOT];
    fill_payload(out, size, 0);
    long *lat = calloc((size_t)count, sizeof *lat);
    if (!lat) die("calloc");
    long lost = 0;
    for (long i = 0; i < warmup + count; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (sendto(fd, out, (size_t)size, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto");
        ssize_t r = recv(fd, in, sizeof in, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (r < 0) { lost++; if (lost > 10) die("recv"); continue; }
        if (i >= warmup)
            lat[i - warmup] = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
    }
    printf("{\"lost\": %ld, \"ns\": [", lost);
    for (long i = 0; i < count; i++) printf(i ? ",%ld" : "%ld", lat[i]);
    printf("]}\n");
    free(lat);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 64;
    if (!strcmp(argv[1], "recv")) return cmd_recv(argc, argv);
    if (!strcmp(argv[1], "blast")) return cmd_blast(argc, argv);
    if (!strcmp(argv[1], "send")) return cmd_send(argc, argv);
    if (!strcmp(argv[1], "echo")) return cmd_echo(argc, argv);
    if (!strcmp(argv[1], "ping")) return cmd_ping(argc, argv);
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 64;
}
