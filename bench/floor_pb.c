// floor_pb N ROOT EXPECTED: the syscall floor of a no-op check of the peer benchmark's file part
// (adapted from the peer harness's floor_pb.c; bench/speed.sh builds it with cc -O2). ROOT holds
// dNN/fIIII (NN = I mod 20) as bench/speed_workload.py writes them; EXPECTED holds C(0) .. C(N-1)
// back to back, all of one length (the desired state in memory, as a client has it after
// compiling its policy). Per directory (ROOT and its 20 dNN): lstat (type, mode 0755, owner
// root:root). Per file: lstat (type, mode 0640, owner, size), then open(O_NOFOLLOW) + read +
// close and compare. Single thread, no output per file. Prints "N bad"; exit 1 when any is bad.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: floor_pb N ROOT EXPECTED\n"); return 2; }
  int n = atoi(argv[1]);
  const char *root = argv[2];
  char path[4096], buf[4096];
  struct stat st;
  int efd = open(argv[3], O_RDONLY | O_CLOEXEC);
  if (efd < 0 || fstat(efd, &st) != 0 || n <= 0 || st.st_size % n != 0) { fprintf(stderr, "bad EXPECTED\n"); return 2; }
  const ssize_t clen = st.st_size / n;
  char *want = malloc((size_t)st.st_size);
  if (!want || read(efd, want, (size_t)st.st_size) != st.st_size) { fprintf(stderr, "short EXPECTED\n"); return 2; }
  close(efd);
  uid_t uid = getuid();
  gid_t gid = getgid();
  int bad = 0;
  for (int d = -1; d < 20; d++) {
    if (d < 0) snprintf(path, sizeof path, "%s", root); else snprintf(path, sizeof path, "%s/d%02d", root, d);
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0755 || st.st_uid != uid ||
        st.st_gid != gid)
      bad++;
  }
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/d%02d/f%04d", root, i % 20, i);
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0640 || st.st_uid != uid ||
        st.st_gid != gid || st.st_size != clen) {
      bad++;
      continue;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    if (fd >= 0) close(fd);
    if (r != clen || memcmp(buf, want + (size_t)i * clen, (size_t)clen) != 0) bad++;
  }
  printf("%d bad\n", bad);
  return bad ? 1 : 0;
}
