// Blocks reading stdin: --timeout must wake the host call.
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    char buf[16];
    ssize_t n = read(0, buf, sizeof buf);
    printf("read %zd\n", n);
    return 1;
}
