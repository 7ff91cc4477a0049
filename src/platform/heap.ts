import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation near its start-up size for the rest of this process: V8 reads its growth factor each
 * time it would grow it, so a factor of 1 makes each growth a no-op. A bulk import keeps a batch of rows alive across
 * many scavenges, and V8 grows the young generation whenever the bytes that survived since its last growth exceed its
 * size: on a 1 GB log it grew to its 16 MiB-per-semi-space maximum, ~24 MB of peak RSS for no speed (bench: import).
 * Only for a process whose work is such a stream (the import); the daemon gets a 1 MiB young generation from its flags
 * (DAEMON_NODE_FLAGS).
 */
export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
