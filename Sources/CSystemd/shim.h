// libsystemd: sd_notify for the service manager and sd_journal_sendv for structured journal entries
// (sd_journal_send is variadic and cannot be called from Swift).
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
