/*
 * postmulti - Postfix's multi-instance manager, for the default instance.
 *
 * Usage: postmulti -l [-a] [-i name]
 *        postmulti -p [-a | -i name] postfix-command [args...]
 *        postmulti -x [-a | -i name] command [args...]
 * Postern runs one instance, the default one; that is what Ubuntu's systemd
 * unit (`postmulti -i - -p start`) and scripts ask for. The default
 * instance answers to "-", to its configuration directory and to its
 * multi_instance_name. -l lists it Postfix's way (name, group, enabled,
 * configuration directory); -p runs command_directory/postfix with the
 * arguments; -x runs any command with MAIL_CONFIG set to the instance.
 * Error policy: an instance other than the default is fatal ("No matching
 * instances"), as is a command that cannot be executed; otherwise the exit
 * status is the command's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"

static void usage(void)
{
    msg_fatal("usage: postmulti -l [-a] [-i name] | -p [-a | -i name] command... | "
              "-x [-a | -i name] command...");
}

static int is_default(const char *name)
{
    const char *mname = conf_get("multi_instance_name");

    return strcmp(name, "-") == 0 || strcmp(name, conf_dir()) == 0
           || (mname && *mname && strcmp(name, mname) == 0);
}

int main(int argc, char **argv)
{
    const char *instance = NULL, *dir = NULL;
    const char *mname;
    int mode = 0, ch;
    ARGV *args;
    VSTR *path;
    int i;

    msg_init("postmulti", MSG_OUT_STDERR);
    while ((ch = getopt(argc, argv, "+ac:g:i:lpxv")) != -1) {
        switch (ch) {
        case 'a':
            break;
        case 'c':
            dir = optarg;
            break;
        case 'g':
            msg_fatal("No matching instances: instance groups are not supported");
        case 'i':
            instance = optarg;
            break;
        case 'l':
        case 'p':
        case 'x':
            if (mode && mode != ch)
                usage();
            mode = ch;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            usage();
        }
    }
    if (mode == 0)
        usage();
    conf_init(dir);
    if (instance && !is_default(instance)) {
        conf_free();
        msg_fatal("No matching instances");
    }
    if (mode == 'l') {
        mname = conf_get("multi_instance_name");
        printf("%-15s %-15s %-9s %s\n", mname && *mname ? mname : "-", "-", "y", conf_dir());
        conf_free();
        return 0;
    }
    if (optind >= argc)
        usage();
    setenv("MAIL_CONFIG", conf_dir(), 1);
    args = argv_new();
    path = vstr_new(100);
    if (mode == 'p') {
        vstr_sprintf(path, "%s/postfix", conf_get("command_directory"));
        argv_add(args, vstr_str(path));
    } else {
        vstr_set(path, argv[optind]);
    }
    for (i = optind; i < argc; i++)
        argv_add(args, argv[i]);
    conf_free();
    execvp(vstr_str(path), args->argv);
    msg_fatal("cannot execute %s: %s", vstr_str(path), strerror(errno));
}
