/* interp: a small stack-machine bytecode interpreter (switch dispatch)
 * running a program that sums Collatz sequence lengths. Measures the
 * unpredictable-branch, load-heavy loop of interpreters. */
#define BENCH_NAME "interp"
#define BENCH_SIZE_FULL 20000
#define BENCH_SIZE_QUICK 1000
#include "bench.h"

enum op {
    OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_SHR,
    OP_DUP, OP_DROP, OP_JMP, OP_JZ, OP_JNZ, OP_LT, OP_EQ, OP_HALT
};

typedef struct { uint8_t op; int32_t arg; } insn;

/* Variables: 0 = n (outer counter), 1 = limit, 2 = x, 3 = total steps.
 * for (n = 1; n < limit; n++)
 *     for (x = n; x != 1; steps++) x = (x & 1) ? 3 * x + 1 : x >> 1;  */
static const insn program[] = {
    /*  0 */ { OP_PUSH, 1 }, { OP_STORE, 0 },
    /*  2 outer: */ { OP_LOAD, 0 }, { OP_LOAD, 1 }, { OP_LT, 0 },
    /*  5 */ { OP_JZ, 36 },
    /*  6 */ { OP_LOAD, 0 }, { OP_STORE, 2 },
    /*  8 inner: */ { OP_LOAD, 2 }, { OP_PUSH, 1 }, { OP_EQ, 0 },
    /* 11 */ { OP_JNZ, 31 },
    /* 12 */ { OP_LOAD, 3 }, { OP_PUSH, 1 }, { OP_ADD, 0 }, { OP_STORE, 3 },
    /* 16 */ { OP_LOAD, 2 }, { OP_PUSH, 1 }, { OP_AND, 0 }, { OP_JNZ, 24 },
    /* 20 even: */ { OP_LOAD, 2 }, { OP_PUSH, 1 }, { OP_SHR, 0 },
    /* 23 */ { OP_JMP, 29 },
    /* 24 odd: */ { OP_LOAD, 2 }, { OP_PUSH, 3 }, { OP_MUL, 0 },
    /* 27 */ { OP_PUSH, 1 }, { OP_ADD, 0 },
    /* 29 */ { OP_STORE, 2 }, { OP_JMP, 8 },
    /* 31 next: */ { OP_LOAD, 0 }, { OP_PUSH, 1 }, { OP_ADD, 0 },
    /* 34 */ { OP_STORE, 0 }, { OP_JMP, 2 },
    /* 36 end: */ { OP_HALT, 0 },
};

static uint64_t run(const insn *code, int64_t *vars)
{
    int64_t stack[64];
    int sp = 0;
    uint64_t executed = 0;
    for (size_t pc = 0;;) {
        const insn *i = &code[pc++];
        executed++;
        switch (i->op) {
        case OP_PUSH: stack[sp++] = i->arg; break;
        case OP_LOAD: stack[sp++] = vars[i->arg]; break;
        case OP_STORE: vars[i->arg] = stack[--sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_SHR: sp--; stack[sp - 1] >>= stack[sp]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_DROP: sp--; break;
        case OP_JMP: pc = (size_t)i->arg; break;
        case OP_JZ: if (stack[--sp] == 0) pc = (size_t)i->arg; break;
        case OP_JNZ: if (stack[--sp] != 0) pc = (size_t)i->arg; break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_HALT: return executed;
        default: return 0;
        }
    }
}

static uint64_t workload(uint32_t limit)
{
    int64_t vars[4] = { 0, limit, 0, 0 };
    insn code[sizeof program / sizeof program[0]];
    /* A copy the compiler cannot see through, so `run` stays generic. */
    for (size_t i = 0; i < sizeof program / sizeof program[0]; i++)
        code[i] = program[i];
    code[0].arg = (int32_t)(bench_size > 0);
    uint64_t executed = run(code, vars);
    uint64_t h = bench_mix(0, executed);
    return bench_mix(h, (uint64_t)vars[3]);
}
