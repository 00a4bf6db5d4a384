# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zip-bad-zips.py OUTDIR MARKER APP: the malformed and hostile function zips of test-zip.sh, made
# with zipfile (zip itself refuses to write most of them). Every one but not-a-zip also holds the
# file APP as app.py, a working Python handler, so that the bad part is the only thing wrong:
#
#   traversal.zip  an entry ../../../../../../../../../../tmp/lambdad-zip-traversal-MARKER
#   absolute.zip   an entry /tmp/lambdad-zip-absolute-MARKER
#   symlink.zip    a symbolic link "escape" -> /tmp, then the entry escape/lambdad-zip-symlink-MARKER,
#                  which unpacking through the link would write outside the code's folder
#   bomb.zip       260 MiB of zeros deflated to about 250 KB: past the 250 MB bound on unpacked code
#                  (the sizes in its headers are true: the bound must hold for honest archives too)
#   truncated.zip  the first half of a good archive (its central directory is gone)
#   not-a-zip.zip  plain text
#
# Run with Debian's /usr/bin/python3 (any python3 with zipfile does).
import os
import stat
import sys
import zipfile

out, marker, app = sys.argv[1:4]
with open(app, "rb") as f:
    app_code = f.read()


def entry(name, mode=0o100644):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix: external_attr holds the mode
    info.external_attr = mode << 16
    return info


def archive(name):
    z = zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED)
    z.writestr(entry("app.py"), app_code)
    return z


with archive("traversal.zip") as z:
    z.writestr(entry("../" * 10 + "tmp/lambdad-zip-traversal-" + marker), b"escaped by ../\n")

with archive("absolute.zip") as z:
    # ZipInfo keeps the leading slash as given; ZipFile.write() would have stripped it.
    z.writestr(entry("/tmp/lambdad-zip-absolute-" + marker), b"escaped by an absolute path\n")

with archive("symlink.zip") as z:
    z.writestr(entry("escape", stat.S_IFLNK | 0o777), b"/tmp")
    z.writestr(entry("escape/lambdad-zip-symlink-" + marker), b"escaped through a symbolic link\n")

with archive("bomb.zip") as z:
    chunk = bytes(1 << 20)
    with z.open(entry("zeros.bin"), "w", force_zip64=True) as f:
        for _ in range(260):
            f.write(chunk)

good = os.path.join(out, "good-for-truncation.zip")
with archive("good-for-truncation.zip") as z:
    # Some bulk, so that half of the archive is more than its local header.
    z.writestr(entry("data.txt"), b"".join(b"line %d of some data\n" % i for i in range(20000)))
with open(good, "rb") as f:
    data = f.read()
with open(os.path.join(out, "truncated.zip"), "wb") as f:
    f.write(data[: len(data) // 2])
os.unlink(good)

with open(os.path.join(out, "not-a-zip.zip"), "wb") as f:
    f.write(b"This is not a zip archive, only text with a .zip name.\n")

# Each archive as the test expects it: the entries are there as written.
for name, expect in (("traversal.zip", "../"), ("absolute.zip", "/tmp/"), ("symlink.zip", "escape")):
    with zipfile.ZipFile(os.path.join(out, name)) as z:
        names = z.namelist()
        assert any(n.startswith(expect) for n in names), (name, names)
