/* dcache: one file per entry, named by kind and a hash of (fingerprint, kind, key). */
#include "dcache.h"
#include "hash.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "FNTCACHE"
#define FORMAT 1u          /* the layout of struct header: bump it when it changes */
#define KIND_MAX 16
#define TMP_PREFIX ".tmp-"
#define STALE_TMP_S 600    /* a temporary file this old was left by a killed fntrace */

struct header {
	char magic[8];
	uint32_t format;
	uint32_t pad;
	char kind[KIND_MAX];
	uint8_t fingerprint[16];
	uint8_t key[16];
	uint64_t len;            /* of the payload that follows */
	uint8_t sum[16];         /* hash of the payload */
};

static char *cache_dir;
static uint8_t fingerprint[16];
static bool have_fingerprint;
static uint64_t limit = DCACHE_LIMIT_DEFAULT;

char *dcache_default_dir(void)
{
	const char *env = getenv("FNTRACE_CACHE");
	if (env && *env)
		return strcmp(env, "off") ? xstrdup(env) : NULL;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char buf[4096];
	/* (The XDG spec: a relative XDG_CACHE_HOME is invalid and is ignored.) */
	if (xdg && xdg[0] == '/')
		snprintf(buf, sizeof(buf), "%s/fntrace", xdg);
	else if (home && home[0] == '/')
		snprintf(buf, sizeof(buf), "%s/.cache/fntrace", home);
	else
		return NULL;
	return xstrdup(buf);
}

/* mkdir -p, each directory made 0700. */
static int make_dirs(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		bool end = !*s;
		if (*s != '/' && !end)
			continue;
		*s = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			rc = -1;
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

void dcache_configure(const char *dir)
{
	free(cache_dir);
	cache_dir = NULL;
	if (!dir)
		return;
	struct stat sb;
	if (make_dirs(dir) || lstat(dir, &sb)) {
		warn_errno("cache directory %s (the cache is off)", dir);
		return;
	}
	/* Another user's directory could hand us maps made to crash the programs we trace. */
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 022)) {
		warn_msg("cache directory %s is not a directory that only we can write (the cache is off)", dir);
		return;
	}
	cache_dir = xstrdup(dir);
}

bool dcache_on(void)
{
	return cache_dir != NULL;
}

void dcache_set_fingerprint(const uint8_t fp[16])
{
	memcpy(fingerprint, fp, 16);
	have_fingerprint = true;
}

void dcache_set_limit(uint64_t bytes)
{
	limit = bytes;
}

/* The hash of fntrace's own executable: any change to the code that made an entry (the map's
 * analysis, its encoding) is a change of the binary, so entries never outlive their code. */
static bool own_fingerprint(void)
{
	if (have_fingerprint)
		return true;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int rc = fd >= 0 ? hash_file(fd, FORMAT, fingerprint) : -1;
	if (fd >= 0)
		close(fd);
	if (rc) {
		DEBUG(DBG_FAST, "cache: cannot read fntrace's own executable: the cache is off");
		free(cache_dir);
		cache_dir = NULL;
		return false;
	}
	have_fingerprint = true;
	return true;
}

/* DIR/KIND-HEX: the hex of a hash of fingerprint, kind and key, so that two builds of fntrace
 * that share the directory do not keep replacing each other's entries. */
static void entry_path(const char *kind, const uint8_t key[16], char *out, size_t outlen)
{
	struct hash128 h;
	uint8_t name[16];
	hash_init(&h);
	hash_add(&h, fingerprint, 16);
	hash_add(&h, kind, strlen(kind));
	hash_add(&h, key, 16);
	hash_final(&h, name);
	int n = snprintf(out, outlen, "%s/%s-", cache_dir, kind);
	for (int i = 0; i < 16 && n > 0 && (size_t)n + 3 <= outlen; i++)
		n += snprintf(out + n, outlen - (size_t)n, "%02x", name[i]);
}

static void fill_header(struct header *hd, const char *kind, const uint8_t key[16], const void *data, size_t len)
{
	memset(hd, 0, sizeof(*hd));
	memcpy(hd->magic, MAGIC, 8);
	hd->format = FORMAT;
	strncpy(hd->kind, kind, KIND_MAX - 1);
	memcpy(hd->fingerprint, fingerprint, 16);
	memcpy(hd->key, key, 16);
	hd->len = len;
	struct hash128 h;
	hash_init(&h);
	hash_add(&h, data, len);
	hash_final(&h, hd->sum);
}

/* Reads all of fd's size bytes, or fails. */
static int read_all(int fd, void *buf, size_t size)
{
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(fd, (char *)buf + got, size - got, (off_t)got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Whether the file's bytes are a whole entry for (kind, key) written by this fntrace. */
static bool entry_checks(const uint8_t *buf, size_t size, const char *kind, const uint8_t key[16])
{
	struct header hd, want;
	if (size < sizeof(hd))
		return false;
	memcpy(&hd, buf, sizeof(hd));
	if (hd.len != size - sizeof(hd))
		return false;
	fill_header(&want, kind, key, buf + sizeof(hd), size - sizeof(hd));
	return !memcmp(&hd, &want, sizeof(hd));
}

void *dcache_get(const char *kind, const uint8_t key[16], size_t *len)
{
	if (!cache_dir || !own_fingerprint())
		return NULL;
	char path[4200];
	entry_path(kind, key, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	struct stat sb;
	uint8_t *buf = NULL;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > limit ||
	    (size_t)sb.st_size < sizeof(struct header)) {
		close(fd);
		DEBUG(DBG_FAST, "cache: %s: not an entry", path);
		return NULL;
	}
	size_t size = (size_t)sb.st_size;
	buf = xmalloc(size);
	if (read_all(fd, buf, size) || !entry_checks(buf, size, kind, key)) {
		DEBUG(DBG_FAST, "cache: %s: damaged or not this fntrace's: ignored", path);
		free(buf);
		close(fd);
		return NULL;
	}
	futimens(fd, NULL);   /* used now: eviction keeps it longer */
	close(fd);
	*len = size - sizeof(struct header);
	memmove(buf, buf + sizeof(struct header), *len);
	return buf;
}

struct entry {
	char *name;
	off_t size;
	struct timespec mtime;
};

static int older_first(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Whether name is one of ours: KIND-HEX32. */
static bool is_entry_name(const char *name)
{
	const char *dash = strchr(name, '-');
	if (!dash || dash == name || dash - name >= KIND_MAX || strlen(dash + 1) != 32)
		return false;
	for (const char *s = dash + 1; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Removes the least recently used entries while the directory holds more than the limit, and
 * temporary files that a killed fntrace left. */
static void trim(void)
{
	int dfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	for (struct dirent *de; (de = readdir(d));) {
		struct stat sb;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
			continue;
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			if (now.tv_sec - sb.st_mtim.tv_sec > STALE_TMP_S)
				unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (!is_entry_name(de->d_name))
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = (struct entry){ xstrdup(de->d_name), sb.st_size, sb.st_mtim };
		total += (uint64_t)sb.st_size;
	}
	if (total > limit && n)
		qsort(v, n, sizeof(*v), older_first);
	for (size_t i = 0; i < n; i++) {
		if (total > limit && !unlinkat(dfd, v[i].name, 0)) {
			DEBUG(DBG_FAST, "cache: %s evicted", v[i].name);
			total -= (uint64_t)v[i].size;
		}
		free(v[i].name);
	}
	free(v);
	closedir(d);
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

int dcache_put(const char *kind, const uint8_t key[16], const void *data, size_t len)
{
	if (!cache_dir || !own_fingerprint() || len + sizeof(struct header) > limit)
		return -1;
	char path[4200], tmp[4200];
	entry_path(kind, key, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/" TMP_PREFIX "%d-XXXXXX", cache_dir, (int)getpid());
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct header hd;
	fill_header(&hd, kind, key, data, len);
	int rc = write_all(fd, &hd, sizeof(hd)) || write_all(fd, data, len) ? -1 : 0;
	if (close(fd))
		rc = -1;
	if (rc == 0 && rename(tmp, path))
		rc = -1;
	if (rc) {
		unlink(tmp);
		return -1;
	}
	trim();
	return 0;
}
