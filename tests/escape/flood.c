// Prints 1 GiB to stdout.
#include <string.h>
#include <unistd.h>

static char chunk[64 * 1024];

int main(void)
{
    memset(chunk, 'y', sizeof chunk);
    for (int i = 0; i < 16384; i++)
        if (write(1, chunk, sizeof chunk) < 0)
            return 3;
    return 1;
}
