/* Where the daemon keeps what the command line tool reads too. */
#ifndef IGD_PATHS_H
#define IGD_PATHS_H

#define IGD_STATE_DIR_DEFAULT	"/var/lib/ipsecguard"
#define IGD_CONTROL_DEFAULT	"/run/ipsecguard/ipsecguardd.sock"
#endif
