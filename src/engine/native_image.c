/*
 * native_image.c: frees an image (native.h). Its own file because the
 * plugin, which makes images, links this object too.
 */
#include "native.h"
#include <stdlib.h>

void wb_native_image_free(wb_native_image *img)
{
    if (!img)
        return;
    free(img->code);
    free(img->ro);
    free(img->offsets);
    free(img->relocs);
    free(img);
}
