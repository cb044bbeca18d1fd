/* nbody: a planetary system integrated with the symplectic Euler method.
 * Measures f64 arithmetic, sqrt and division on a small struct array. */
#define BENCH_NAME "nbody"
#define BENCH_SIZE_FULL 1500000
#define BENCH_SIZE_QUICK 50000
#include "bench.h"
#include <math.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

typedef struct { double x, y, z, vx, vy, vz, mass; } body;

static void init(body *b)
{
    /* A sun and four planets; orbital elements invented for this suite. */
    static const double p[4][7] = {
        { 4.9, -1.1, -0.11, 0.0017, 0.0077, -0.00007, 0.00095 },
        { 8.3, 4.1, -0.40, -0.0028, 0.0050, 0.000023, 0.00029 },
        { 12.9, -15.1, -0.22, 0.0030, 0.0024, -0.000030, 0.000044 },
        { 15.4, -25.9, 0.18, 0.0027, 0.0016, -0.000095, 0.000051 },
    };
    b[0] = (body){ 0, 0, 0, 0, 0, 0, SOLAR_MASS };
    for (int i = 0; i < 4; i++)
        b[i + 1] = (body){ p[i][0], p[i][1], p[i][2],
                           p[i][3] * DAYS_PER_YEAR, p[i][4] * DAYS_PER_YEAR,
                           p[i][5] * DAYS_PER_YEAR, p[i][6] * SOLAR_MASS };
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / SOLAR_MASS;
    b[0].vy = -py / SOLAR_MASS;
    b[0].vz = -pz / SOLAR_MASS;
}

static double energy(const body *b)
{
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        e += 0.5 * b[i].mass *
             (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y,
                   dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(body *b, double dt)
{
    for (int i = 0; i < NBODIES; i++)
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y,
                   dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    for (int i = 0; i < NBODIES; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static uint64_t workload(uint32_t steps)
{
    body b[NBODIES];
    uint64_t h = 0;
    init(b);
    h = bench_mix(h, bench_double_bits(energy(b)));
    for (uint32_t s = 0; s < steps; s++)
        advance(b, 0.01);
    h = bench_mix(h, bench_double_bits(energy(b)));
    for (int i = 0; i < NBODIES; i++)
        h = bench_mix(h, bench_double_bits(b[i].x));
    return h;
}
