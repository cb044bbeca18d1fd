/* wb_session_driver.c: driver.py and driver.js embedded in the library
 * (.incbin, paths relative to the repository root where make runs); the
 * session writes them into <state>/runtime/ and grants it at /.wasmbox.
 * .hidden: like every symbol not marked WB_API, they stay inside the
 * shared library (-fvisibility=hidden does not reach top-level asm). */
#include "session/wb_session.h"

__asm__(
    ".section .rodata\n"
    ".global wb_driver_py\n"
    ".hidden wb_driver_py\n"
    ".type wb_driver_py, @object\n"
    ".balign 16\n"
    "wb_driver_py:\n"
    ".incbin \"src/session/driver.py\"\n"
    "wb_driver_py_end:\n"
    ".byte 0\n"
    ".global wb_driver_py_len\n"
    ".hidden wb_driver_py_len\n"
    ".balign 4\n"
    "wb_driver_py_len:\n"
    ".long wb_driver_py_end - wb_driver_py\n"
    ".global wb_driver_js\n"
    ".hidden wb_driver_js\n"
    ".type wb_driver_js, @object\n"
    ".balign 16\n"
    "wb_driver_js:\n"
    ".incbin \"src/session/driver.js\"\n"
    "wb_driver_js_end:\n"
    ".byte 0\n"
    ".global wb_driver_js_len\n"
    ".hidden wb_driver_js_len\n"
    ".balign 4\n"
    "wb_driver_js_len:\n"
    ".long wb_driver_js_end - wb_driver_js\n"
    ".text\n");
