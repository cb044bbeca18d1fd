/*
 * obj.c: links the object files LLVM emits, one per compiling thread,
 * into one position-independent image (wb_native_image, native.h).
 *
 * Allocated sections are laid out in two areas: executable ones in the
 * code area, the others (constants, jump tables) in the read-only area
 * at ro_off. Relocations are then resolved against that layout: the
 * relative ones for good (their distance never changes), an absolute
 * 64-bit one becomes an image fix-up the loader applies. A reference to
 * a symbol the objects do not define (a C library function) makes the
 * module uncompilable here: the loader resolves nothing by name.
 * Unwind tables are left out (compiled code is never unwound through by
 * the C++ runtime; traps use siglongjmp). Which relocation types exist
 * and what they mean is the target's (nt_target_reloc).
 */
#include "nt.h"
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct obj {
    const uint8_t *b;
    size_t len;
    const Elf64_Shdr *sh;
    unsigned nsh;
    uint64_t *addr;             /* per section: image offset, or UINT64_MAX */
} obj;

static wb_status bad(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_IMPL_LIMIT, "native tier: object file: %s",
                      what);
}

static bool in_file(const obj *o, uint64_t off, uint64_t size)
{
    return off <= o->len && size <= o->len - off;
}

static const char *sec_name(const obj *o, unsigned i, unsigned shstrndx)
{
    if (shstrndx >= o->nsh || !in_file(o, o->sh[shstrndx].sh_offset,
                                       o->sh[shstrndx].sh_size))
        return "";
    const Elf64_Shdr *s = &o->sh[shstrndx];
    if (o->sh[i].sh_name >= s->sh_size)
        return "";
    const char *p = (const char *)o->b + s->sh_offset + o->sh[i].sh_name;
    return memchr(p, 0, s->sh_size - o->sh[i].sh_name) ? p : "";
}

static wb_status open_obj(obj *o, LLVMMemoryBufferRef buf, wb_error *err)
{
    o->b = (const uint8_t *)LLVMGetBufferStart(buf);
    o->len = LLVMGetBufferSize(buf);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)o->b;
    if (o->len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_REL ||
        eh->e_machine != nt_target_arch() ||
        eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(o, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return bad(err, "not a relocatable ELF object of this target");
    o->sh = (const Elf64_Shdr *)(o->b + eh->e_shoff);
    o->nsh = eh->e_shnum;
    o->addr = malloc((o->nsh ? o->nsh : 1) * sizeof *o->addr);
    if (!o->addr)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    for (unsigned i = 0; i < o->nsh; i++)
        o->addr[i] = UINT64_MAX;
    return WB_OK;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return a > 1 ? (v + a - 1) / a * a : v;
}

/* Pass 1: where each allocated section of o goes; `code`/`ro` are the
 * areas' running sizes (ro relative to ro_off, fixed up later). */
static wb_status place(obj *o, uint64_t *code, uint64_t *ro, wb_error *err)
{
    unsigned shstrndx = ((const Elf64_Ehdr *)o->b)->e_shstrndx;
    for (unsigned i = 1; i < o->nsh; i++) {
        const Elf64_Shdr *s = &o->sh[i];
        if (!(s->sh_flags & SHF_ALLOC) || !s->sh_size ||
            !strcmp(sec_name(o, i, shstrndx), ".eh_frame"))
            continue;
        if ((s->sh_flags & SHF_WRITE) || s->sh_type == SHT_NOBITS)
            return bad(err, "writable data in compiled code");
        if (!in_file(o, s->sh_offset, s->sh_size) || s->sh_addralign > 4096)
            return bad(err, "section outside the file");
        uint64_t *at = (s->sh_flags & SHF_EXECINSTR) ? code : ro;
        *at = align_up(*at, s->sh_addralign);
        o->addr[i] = *at | ((s->sh_flags & SHF_EXECINSTR) ? 0 : 1ull << 63);
        *at += s->sh_size;
    }
    return WB_OK;
}

/* After layout: ro sections (marked with the top bit) move to ro_off. */
static void rebase(obj *o, uint64_t ro_off)
{
    for (unsigned i = 0; i < o->nsh; i++)
        if (o->addr[i] != UINT64_MAX && (o->addr[i] >> 63))
            o->addr[i] = (o->addr[i] & ~(1ull << 63)) + ro_off;
}

static uint8_t *image_at(wb_native_image *img, uint64_t off)
{
    return off < img->ro_off ? img->code + off : img->ro + (off - img->ro_off);
}

static void copy(obj *o, wb_native_image *img)
{
    for (unsigned i = 0; i < o->nsh; i++)
        if (o->addr[i] != UINT64_MAX)
            memcpy(image_at(img, o->addr[i]), o->b + o->sh[i].sh_offset,
                   o->sh[i].sh_size);
}

/* The symbol table of o, or NULL. */
static const Elf64_Shdr *symtab(const obj *o)
{
    for (unsigned i = 1; i < o->nsh; i++)
        if (o->sh[i].sh_type == SHT_SYMTAB &&
            in_file(o, o->sh[i].sh_offset, o->sh[i].sh_size) &&
            o->sh[i].sh_link < o->nsh &&
            in_file(o, o->sh[o->sh[i].sh_link].sh_offset,
                    o->sh[o->sh[i].sh_link].sh_size))
            return &o->sh[i];
    return NULL;
}

static const char *sym_name(const obj *o, const Elf64_Shdr *st,
                            const Elf64_Sym *sym)
{
    const Elf64_Shdr *str = &o->sh[st->sh_link];
    if (sym->st_name >= str->sh_size)
        return "?";
    const char *p = (const char *)o->b + str->sh_offset + sym->st_name;
    return memchr(p, 0, str->sh_size - sym->st_name) ? p : "?";
}

/* The image offset of symbol k, or UINT64_MAX with `err` set. */
static uint64_t sym_addr(const obj *o, const Elf64_Shdr *st, uint64_t k,
                         wb_error *err)
{
    if (!st || k >= st->sh_size / sizeof(Elf64_Sym)) {
        bad(err, "relocation without a symbol");
        return UINT64_MAX;
    }
    const Elf64_Sym *sym = (const Elf64_Sym *)(o->b + st->sh_offset) + k;
    if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= o->nsh ||
        o->addr[sym->st_shndx] == UINT64_MAX) {
        wb_err_set(err, WB_E_IMPL_LIMIT, "native tier: compiled code refers "
                   "to '%s', outside the module", sym_name(o, st, sym));
        return UINT64_MAX;
    }
    return o->addr[sym->st_shndx] + sym->st_value;
}

static wb_status add_abs(wb_native_image *img, uint64_t off, uint64_t value,
                         uint32_t *cap, wb_error *err)
{
    if (img->nrelocs == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        uint64_t *r = realloc(img->relocs, 2 * (size_t)*cap * sizeof *r);
        if (!r)
            return wb_err_set(err, WB_E_NOMEM, "out of memory");
        img->relocs = r;
    }
    img->relocs[2 * img->nrelocs] = off;
    img->relocs[2 * img->nrelocs++ + 1] = value;
    return WB_OK;
}

/* The end of the area the image offset `off` is in. */
static uint64_t area_end(const wb_native_image *img, uint64_t off)
{
    return off < img->ro_off ? img->code_len : img->ro_off + img->ro_len;
}

static wb_status relocate(obj *o, wb_native_image *img, uint32_t *cap,
                          wb_error *err)
{
    const Elf64_Shdr *st = symtab(o);
    for (unsigned i = 1; i < o->nsh; i++) {
        const Elf64_Shdr *rs = &o->sh[i];
        if (rs->sh_type == SHT_REL)
            return bad(err, "REL relocations");
        if (rs->sh_type != SHT_RELA || rs->sh_info >= o->nsh ||
            o->addr[rs->sh_info] == UINT64_MAX)
            continue;
        if (!in_file(o, rs->sh_offset, rs->sh_size))
            return bad(err, "relocations outside the file");
        const Elf64_Rela *r = (const Elf64_Rela *)(o->b + rs->sh_offset);
        size_t n = rs->sh_size / sizeof *r;
        const Elf64_Shdr *tgt = &o->sh[rs->sh_info];
        for (size_t k = 0; k < n; k++) {
            if (r[k].r_offset >= tgt->sh_size)
                return bad(err, "relocation outside its section");
            uint64_t p = o->addr[rs->sh_info] + r[k].r_offset;
            uint64_t s = sym_addr(o, st, ELF64_R_SYM(r[k].r_info), err);
            if (s == UINT64_MAX)
                return err->status;
            uint64_t target = s + (uint64_t)r[k].r_addend;
            nt_reloc_result res = nt_target_reloc(
                ELF64_R_TYPE(r[k].r_info), image_at(img, p), p, target,
                area_end(img, p) - p);
            if (res == NT_RELOC_BAD) {
                char what[64];
                snprintf(what, sizeof what, "relocation type %u",
                         (unsigned)ELF64_R_TYPE(r[k].r_info));
                return bad(err, what);
            }
            if (res == NT_RELOC_ABS64 && add_abs(img, p, target, cap, err))
                return err->status;
        }
    }
    return WB_OK;
}

/* fn/entry offsets of the definitions o defines (f<d>, e<d>). */
static wb_status find_funcs(obj *o, wb_native_image *img, wb_error *err)
{
    const Elf64_Shdr *st = symtab(o);
    size_t n = st ? st->sh_size / sizeof(Elf64_Sym) : 0;
    for (size_t k = 1; k < n; k++) {
        const Elf64_Sym *sym = (const Elf64_Sym *)(o->b + st->sh_offset) + k;
        if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC)
            continue;
        const char *name = sym_name(o, st, sym);
        char kind = name[0], *end = NULL;
        if ((kind != 'f' && kind != 'e') || name[1] < '0' || name[1] > '9')
            continue;
        unsigned long d = strtoul(name + 1, &end, 10);
        if (*end || d >= img->nfuncs)
            continue;
        uint64_t a = sym_addr(o, st, k, err);
        if (a == UINT64_MAX || a >= img->code_len)
            return bad(err, "function outside the code");
        img->offsets[2 * d + (kind == 'e')] = a;
    }
    return WB_OK;
}

static wb_status layout(obj *os, unsigned n, wb_native_image *img,
                        wb_error *err)
{
    uint64_t code = 0, ro = 0;
    for (unsigned i = 0; i < n; i++)
        if (place(&os[i], &code, &ro, err))
            return err->status;
    img->code_len = code;
    img->ro_len = ro;
    img->ro_off = align_up(code ? code : 1, WB_NATIVE_ALIGN);
    for (unsigned i = 0; i < n; i++)
        rebase(&os[i], img->ro_off);
    img->code = calloc(1, code ? code : 1);
    img->ro = calloc(1, ro ? ro : 1);
    img->offsets = malloc(2 * (size_t)(img->nfuncs ? img->nfuncs : 1) *
                          sizeof *img->offsets);
    if (!img->code || !img->ro || !img->offsets)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < 2 * img->nfuncs; i++)
        img->offsets[i] = UINT64_MAX;
    return WB_OK;
}

wb_status nt_link(const wb_module *wm, LLVMMemoryBufferRef *objs,
                  unsigned n, wb_native_image **out, wb_error *err)
{
    wb_native_image *img = calloc(1, sizeof *img);
    obj *os = calloc(n ? n : 1, sizeof *os);
    if (!img || !os) {
        free(img);
        free(os);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    img->arch = nt_target_arch();
    img->nfuncs = wm->nfuncs - wm->nfunc_imports;
    uint32_t cap = 0;
    wb_status st = WB_OK;
    for (unsigned i = 0; i < n && st == WB_OK; i++)
        st = open_obj(&os[i], objs[i], err);
    if (st == WB_OK)
        st = layout(os, n, img, err);
    for (unsigned i = 0; i < n && st == WB_OK; i++) {
        copy(&os[i], img);
        st = relocate(&os[i], img, &cap, err);
        if (st == WB_OK)
            st = find_funcs(&os[i], img, err);
    }
    for (uint32_t i = 0; i < 2 * img->nfuncs && st == WB_OK; i++)
        if (img->offsets[i] == UINT64_MAX)
            st = bad(err, "a function is missing");
    for (unsigned i = 0; i < n; i++)
        free(os[i].addr);
    free(os);
    if (st != WB_OK) {
        wb_native_image_free(img);
        return st;
    }
    *out = img;
    return WB_OK;
}
