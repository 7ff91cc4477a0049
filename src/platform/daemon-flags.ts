/** Node flags the daemon process runs with: a 1 MiB young generation keeps its peak RSS near Node's own floor. */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1'];
