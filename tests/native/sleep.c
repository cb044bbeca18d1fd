/* sleep.c: blocks in a host call (poll_oneoff) far past any timeout. */
#include <unistd.h>
int main(void)
{
    sleep(1000);
    return 0;
}
