/* hello: the cold-start workload. The whole process (runtime start,
 * module load, instantiate, _start, one line of output, exit) is timed.
 * With -DBENCH_EXPORT (for runtimes without WASI) it exports bench() and
 * prints nothing. */
#ifdef BENCH_EXPORT
#include <stdint.h>
__attribute__((export_name("bench"))) uint64_t bench(void);
uint64_t bench(void) { return 0; }
#else
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
#endif
