// sleep(100): --timeout must wake the host call.
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    sleep(100);
    printf("woke up\n");
    return 1;
}
