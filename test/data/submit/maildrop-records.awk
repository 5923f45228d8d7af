# The records of a maildrop file, one a line: TYPE DATA (T's value set aside),
# DATA as Python's unicode_escape of its Latin-1 text would print it. awk
# over od's bytes (od -An -v -tu1 FILE | awk -f this): a python3 start per
# file cost more than the rest of a sendmail-oracle case.
# bytes from od -An -v -tu1, any number a line
{ for (k = 1; k <= NF; k++) d[nb++] = $k + 0 }
END {
    i = 0
    while (i < nb) {
        t = sprintf("%c", d[i]); i++; n = 0; m = 1
        while (i < nb) {
            b = d[i]; i++; n += (b % 128) * m; m *= 128
            if (b < 128) break
        }
        out = ""
        for (e = i + n; i < e && i < nb; i++) {
            c = d[i]
            if (c == 92) out = out "\\\\"
            else if (c == 9) out = out "\\t"
            else if (c == 10) out = out "\\n"
            else if (c == 13) out = out "\\r"
            else if (c >= 32 && c < 127) out = out sprintf("%c", c)
            else out = out sprintf("\\x%02x", c)
        }
        i = e
        print t " " (t == "T" ? "TIME" : out)
    }
}
