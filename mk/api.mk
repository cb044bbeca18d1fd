# mk/api.mk: the public interface (included by the Makefile).
#   make check-api  scripts/check-api.sh: libwasmbox.so of $(BUILD) exports
#                   exactly the functions marked WB_API in include/wasmbox/,
#                   each documented; the headers compile alone (C, C++);
#                   examples/embed.c runs linked with the .so alone
PUBLIC_H := include/wasmbox.h $(wildcard include/wasmbox/*.h)

.PHONY: check-api
check-api: all
	@scripts/check-api.sh $(BUILD)

# Every object sees the public headers through include/wasmbox.h.
$(LIB_OBJ) $(CLI_OBJ) $(UNIT_BIN) $(FUZZ_OBJ) $(HOSTCALL_OBJ) \
    $(BUILD)/bench/api_bench: $(PUBLIC_H)
