/*
 * bounce_send - TEST-ONLY client of lib/bounce_client.h: asks a running
 * bounce/defer/trace service for one notice and prints the answer. Never
 * installed. Run it in queue_directory (the socket path is relative).
 *
 * Usage: bounce_send [options] QUEUEID
 *   -s SERVICE  the service (default bounce: private/bounce)
 *   -c CMD      flush, warn, trace or expire (default flush)
 *   -q QUEUE    the message's queue (default active)
 *   -f SENDER   the envelope sender (default "": the null sender)
 *   -e ENCODING the body type ("", 7bit, 8bit)
 *   -i ENVID    DSN ENVID
 *   -r RET      DSN RET: full, hdrs or none (default none)
 *   -u          SMTPUTF8
 * Output: "status=0 notice=ID" (ID empty when no notice was needed), or
 * "status=-1 why=TEXT". Exit 0 when status is 0, 1 otherwise, 2 on a usage
 * error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_client.h"
#include "msg.h"
#include "vstr.h"

int main(int argc, char **argv)
{
    BOUNCE_MSG m;
    const char *service = "bounce";
    VSTR *id = vstr_new(0), *why = vstr_new(0);
    int ch, cmd = BOUNCE_CMD_FLUSH;

    msg_init("bounce_send", MSG_OUT_STDERR);
    memset(&m, 0, sizeof(m));
    m.queue_name = "active";
    m.sender = "";
    m.encoding = "";
    m.envelope_id = "";
    while ((ch = getopt(argc, argv, "s:c:q:f:e:i:r:u")) != -1) {
        switch (ch) {
        case 's':
            service = optarg;
            break;
        case 'c':
            if (strcmp(optarg, "flush") == 0)
                cmd = BOUNCE_CMD_FLUSH;
            else if (strcmp(optarg, "warn") == 0)
                cmd = BOUNCE_CMD_WARN;
            else if (strcmp(optarg, "trace") == 0)
                cmd = BOUNCE_CMD_TRACE;
            else if (strcmp(optarg, "expire") == 0)
                cmd = BOUNCE_CMD_EXPIRE;
            else
                msg_fatal_status(2, "unknown command %s", optarg);
            break;
        case 'q':
            m.queue_name = optarg;
            break;
        case 'f':
            m.sender = optarg;
            break;
        case 'e':
            m.encoding = optarg;
            break;
        case 'i':
            m.envelope_id = optarg;
            break;
        case 'r':
            m.ret_flags = strcmp(optarg, "full") == 0   ? BOUNCE_RET_FULL
                          : strcmp(optarg, "hdrs") == 0 ? BOUNCE_RET_HDRS
                                                        : 0;
            break;
        case 'u':
            m.smtputf8 = 1;
            break;
        default:
            msg_fatal_status(2, "usage: bounce_send [-s service] [-c cmd] [-q queue] [-f sender] "
                                "[-e encoding] [-i envid] [-r full|hdrs] [-u] QUEUEID");
        }
    }
    if (optind != argc - 1)
        msg_fatal_status(2, "usage: bounce_send [options] QUEUEID");
    m.queue_id = argv[optind];
    if (bounce_request(service, cmd, &m, id, why) < 0) {
        printf("status=-1 why=%s\n", vstr_str(why));
        ch = 1;
    } else {
        printf("status=0 notice=%s\n", vstr_str(id));
        ch = 0;
    }
    fflush(stdout);
    vstr_free(id);
    vstr_free(why);
    return ch;
}
