/* What the libFuzzer harnesses share: an invariant that aborts (libFuzzer keeps the
 * input), and seed files written where IGD_FUZZ_SEEDS points (tests/fuzz/run.sh). */
#ifndef IGD_FUZZ_H
#define IGD_FUZZ_H
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);	\
		abort();						\
	}								\
} while (0)

/* @dir/seed-NN with @len bytes of @b; a seed that cannot be written is left out. */
static inline void fuzz_seed_write(const char *dir, int n, const void *b, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%02d", dir, n);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(b, 1, len, f);
	fclose(f);
}

/* Writes the NUL-terminated texts @seeds as seed files where IGD_FUZZ_SEEDS points
 * (LLVMFuzzerInitialize of the text harnesses). */
#include <string.h>
static inline void fuzz_seed_texts(const char *const *seeds, size_t n)
{
	const char *dir = getenv("IGD_FUZZ_SEEDS");
	size_t i;

	for (i = 0; dir && *dir && i < n; i++)
		fuzz_seed_write(dir, (int)i, seeds[i], strlen(seeds[i]));
}
#endif
