/**
 * An epoch boundary seen in the training output. `printed` is the epoch number as the framework printed it,
 * normalized to count from 1 (Lightning prints 0-based); the daemon numbers epochs itself in order of occurrence.
 */
export interface EpochEvent {
  kind: 'start' | 'end';
  printed: number | null;
  /** Expected number of epochs, when the output says it. */
  total: number | null;
  /** Which detector recognized it. */
  source: 'keras' | 'lightning' | 'huggingface' | 'pattern';
}

/** Feeds raw chunks of one output stream (stdout or stderr); returns the boundaries completed lines reveal. */
export interface EpochDetector {
  feed(chunk: string): EpochEvent[];
  /** Flushes a last unterminated line. */
  end(): EpochEvent[];
}
