# Third-party source of the opt-in numpy guest (scripts/guests/numpy.sh),
# in the format of SOURCES. Kept apart from SOURCES so that
# check-sources.sh (make check) does not fetch it while the numpy image is
# not part of `make guests`: the archive mirror this was written against
# lists numpy 1:1.24.2-1+deb12u1 but answers 404 for its .orig tarball
# (make guests-numpy then stops with one line). The sha256 is the one of
# Debian's .dsc (Checksums-Sha256). Move the line into SOURCES when the
# image joins `make guests`.
#
# kind  package         version   file                              sha256
deb     numpy           1.24.2    numpy_1.24.2.orig.tar.xz          a7c88b0cf7c7c5ea03a76593ce4065af3beb8f50c25db6a7ee72369b2c936c65
