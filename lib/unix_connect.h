/*
 * unix_connect - connect to a UNIX-domain stream socket (a service under
 * queue_directory/private or public).
 *
 * unix_connect(path) returns a blocking, close-on-exec descriptor, or -1
 * with errno set (ENAMETOOLONG when the path does not fit a socket address).
 * A connect interrupted by a signal (the skeleton's SIGIO) is retried.
 * Nothing is logged: the caller words the error.
 */
#ifndef POSTERN_UNIX_CONNECT_H
#define POSTERN_UNIX_CONNECT_H

int unix_connect(const char *path);

#endif
