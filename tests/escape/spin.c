// An infinite loop with no calls at all.
int main(void)
{
    volatile unsigned x = 0;
    for (;;)
        x++;
}
