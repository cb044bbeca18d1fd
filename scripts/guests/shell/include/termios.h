/* termios.h for the shell and tools on wasm32-wasi (wasi-libc has none).
 * A sandboxed process has no terminal: tcgetattr and tcsetattr fail with
 * ENOTTY (wb_posix.c), as on a pipe; the type and constants let the
 * programs that ask compile. */
#ifndef WB_TERMIOS_H
#define WB_TERMIOS_H
#include <sys/types.h>

typedef unsigned char cc_t;
typedef unsigned int speed_t;
typedef unsigned int tcflag_t;
#define NCCS 32
struct termios {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_line;
    cc_t c_cc[NCCS];
    speed_t __c_ispeed, __c_ospeed;
};

#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSTART 8
#define VSTOP 9
#define VSUSP 10
#define VEOL 11
#define VWERASE 14
#define VLNEXT 15

#define IGNBRK 0000001
#define BRKINT 0000002
#define IGNPAR 0000004
#define INPCK 0000020
#define ISTRIP 0000040
#define INLCR 0000100
#define IGNCR 0000200
#define ICRNL 0000400
#define IXON 0002000
#define IXOFF 0010000
#define OPOST 0000001
#define ONLCR 0000004
#define CSIZE 0000060
#define CS8 0000060
#define CREAD 0000200
#define PARENB 0000400
#define CLOCAL 0004000
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define NOFLSH 0000200
#define TOSTOP 0000400
#define IEXTEN 0100000
#define TCSANOW 0
#define TCSADRAIN 1
#define TCSAFLUSH 2
#define TCIFLUSH 0
#define TCOFLUSH 1
#define TCIOFLUSH 2
#define B0 0000000
#define B50 0000001
#define B75 0000002
#define B110 0000003
#define B134 0000004
#define B150 0000005
#define B200 0000006
#define B300 0000007
#define B600 0000010
#define B1200 0000011
#define B1800 0000012
#define B2400 0000013
#define B4800 0000014
#define B9600 0000015
#define B19200 0000016
#define B38400 0000017
#define B57600 0010001
#define B115200 0010002
#define B230400 0010003

/* the window size a terminal would report (ioctl fails: no terminal) */
struct winsize {
    unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414

int tcgetattr(int fd, struct termios *t);
int tcsetattr(int fd, int act, const struct termios *t);
int tcflush(int fd, int queue);
int tcdrain(int fd);
speed_t cfgetospeed(const struct termios *t);
speed_t cfgetispeed(const struct termios *t);
int cfsetospeed(struct termios *t, speed_t s);
int cfsetispeed(struct termios *t, speed_t s);
void cfmakeraw(struct termios *t);
#endif
