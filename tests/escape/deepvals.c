// Deep recursion whose frames keep 64 values live across the call (loads
// the call could change, so they are not recomputed after it): in wasm
// locals, so on wasmbox's value stack, not in linear memory. The value
// stack counts against --max-memory (tests/escape/run.sh, "value stack").
#include <stdio.h>
#include <stdlib.h>
static long data[256];
static long rec(long n, long a)
{
    if (n == 0)
        return a;
    long v0 = data[(a + 0) & 255];
    long v1 = data[(a + 1) & 255];
    long v2 = data[(a + 2) & 255];
    long v3 = data[(a + 3) & 255];
    long v4 = data[(a + 4) & 255];
    long v5 = data[(a + 5) & 255];
    long v6 = data[(a + 6) & 255];
    long v7 = data[(a + 7) & 255];
    long v8 = data[(a + 8) & 255];
    long v9 = data[(a + 9) & 255];
    long v10 = data[(a + 10) & 255];
    long v11 = data[(a + 11) & 255];
    long v12 = data[(a + 12) & 255];
    long v13 = data[(a + 13) & 255];
    long v14 = data[(a + 14) & 255];
    long v15 = data[(a + 15) & 255];
    long v16 = data[(a + 16) & 255];
    long v17 = data[(a + 17) & 255];
    long v18 = data[(a + 18) & 255];
    long v19 = data[(a + 19) & 255];
    long v20 = data[(a + 20) & 255];
    long v21 = data[(a + 21) & 255];
    long v22 = data[(a + 22) & 255];
    long v23 = data[(a + 23) & 255];
    long v24 = data[(a + 24) & 255];
    long v25 = data[(a + 25) & 255];
    long v26 = data[(a + 26) & 255];
    long v27 = data[(a + 27) & 255];
    long v28 = data[(a + 28) & 255];
    long v29 = data[(a + 29) & 255];
    long v30 = data[(a + 30) & 255];
    long v31 = data[(a + 31) & 255];
    long v32 = data[(a + 32) & 255];
    long v33 = data[(a + 33) & 255];
    long v34 = data[(a + 34) & 255];
    long v35 = data[(a + 35) & 255];
    long v36 = data[(a + 36) & 255];
    long v37 = data[(a + 37) & 255];
    long v38 = data[(a + 38) & 255];
    long v39 = data[(a + 39) & 255];
    long v40 = data[(a + 40) & 255];
    long v41 = data[(a + 41) & 255];
    long v42 = data[(a + 42) & 255];
    long v43 = data[(a + 43) & 255];
    long v44 = data[(a + 44) & 255];
    long v45 = data[(a + 45) & 255];
    long v46 = data[(a + 46) & 255];
    long v47 = data[(a + 47) & 255];
    long v48 = data[(a + 48) & 255];
    long v49 = data[(a + 49) & 255];
    long v50 = data[(a + 50) & 255];
    long v51 = data[(a + 51) & 255];
    long v52 = data[(a + 52) & 255];
    long v53 = data[(a + 53) & 255];
    long v54 = data[(a + 54) & 255];
    long v55 = data[(a + 55) & 255];
    long v56 = data[(a + 56) & 255];
    long v57 = data[(a + 57) & 255];
    long v58 = data[(a + 58) & 255];
    long v59 = data[(a + 59) & 255];
    long v60 = data[(a + 60) & 255];
    long v61 = data[(a + 61) & 255];
    long v62 = data[(a + 62) & 255];
    long v63 = data[(a + 63) & 255];
    data[a & 255] += n;
    long r = rec(n - 1, a + 1);
    return r + ((v0 << 0) ^ (v1 << 1) ^ (v2 << 2) ^ (v3 << 3) ^ (v4 << 4) ^ (v5 << 5) ^ (v6 << 6) ^ (v7 << 7) ^ (v8 << 8) ^ (v9 << 9) ^ (v10 << 10) ^ (v11 << 11) ^ (v12 << 12) ^ (v13 << 0) ^ (v14 << 1) ^ (v15 << 2) ^ (v16 << 3) ^ (v17 << 4) ^ (v18 << 5) ^ (v19 << 6) ^ (v20 << 7) ^ (v21 << 8) ^ (v22 << 9) ^ (v23 << 10) ^ (v24 << 11) ^ (v25 << 12) ^ (v26 << 0) ^ (v27 << 1) ^ (v28 << 2) ^ (v29 << 3) ^ (v30 << 4) ^ (v31 << 5) ^ (v32 << 6) ^ (v33 << 7) ^ (v34 << 8) ^ (v35 << 9) ^ (v36 << 10) ^ (v37 << 11) ^ (v38 << 12) ^ (v39 << 0) ^ (v40 << 1) ^ (v41 << 2) ^ (v42 << 3) ^ (v43 << 4) ^ (v44 << 5) ^ (v45 << 6) ^ (v46 << 7) ^ (v47 << 8) ^ (v48 << 9) ^ (v49 << 10) ^ (v50 << 11) ^ (v51 << 12) ^ (v52 << 0) ^ (v53 << 1) ^ (v54 << 2) ^ (v55 << 3) ^ (v56 << 4) ^ (v57 << 5) ^ (v58 << 6) ^ (v59 << 7) ^ (v60 << 8) ^ (v61 << 9) ^ (v62 << 10) ^ (v63 << 11));
}
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 8000;
    for (int i = 0; i < 256; i++)
        data[i] = i * 7 + argc;
    printf("%ld\n", rec(n, 1));
    return 0;
}
