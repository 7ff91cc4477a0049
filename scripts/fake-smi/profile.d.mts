export interface FakeSegment {
  durationS: number;
  fromW: number;
  toW: number;
}

export interface FakeGpu {
  uuid: string;
  name: string;
  powerLimitW: number;
  memTotalMiB: number;
  segments: FakeSegment[];
  /** Loop the segments instead of holding the last value. */
  repeat?: boolean;
  /** MIG device UUIDs listed by `-L` (and counted in `-q -x`). */
  migUuids?: string[];
}

export interface FakeProfile {
  /** Epoch ms; omitted = the fake's process start. */
  t0?: number;
  gpus: FakeGpu[];
}

export declare const DEFAULT_PROFILE: Readonly<FakeProfile>;
export declare function validateProfile(p: unknown): FakeProfile;
export declare function loadProfile(path: string | undefined, processStartMs: number): FakeProfile & { t0: number };
export declare function powerAt(gpu: FakeGpu, tMs: number, t0: number): number;
export declare function energyBetween(gpu: FakeGpu, fromMs: number, toMs: number, t0: number): number;
