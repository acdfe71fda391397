import { envFlag } from "./env-flag.ts";

/**
 * CloudWatch metrics as Embedded Metric Format lines on stdout, in the shape AWS Lambda Powertools'
 * Metrics writes (default dimension `service`; a metric added several times is one array), with its
 * settings: POWERTOOLS_METRICS_DISABLED, else POWERTOOLS_DEV, turns output off. Our own code rather
 * than Powertools Metrics (with its Logger, 4-6 ms of every cold start; see logger.ts).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const MetricUnit = { Count: "Count", Milliseconds: "Milliseconds" } as const;
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** EMF limits: at most 100 metrics per line and 100 values per metric. */
const MAX_METRICS = 100;
const MAX_VALUES = 100;

export interface EmfMetricsOptions {
  namespace: string;
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  write?: (line: string) => void;
}

export class EmfMetrics {
  readonly #options: EmfMetricsOptions;
  readonly #namespace: string;
  readonly #dimensions: Record<string, string>;
  readonly #disabled: boolean;
  readonly #write: (line: string) => void;
  readonly #stored = new Map<string, { unit: MetricUnit; values: number[] }>();
  readonly #single: boolean;

  /** `dimensions` and `single` are for singleMetric(). */
  constructor(options: EmfMetricsOptions, dimensions?: Record<string, string>, single = false) {
    const env = options.env ?? process.env;
    this.#options = options;
    this.#namespace = options.namespace;
    this.#dimensions = dimensions ?? { service: options.serviceName };
    this.#disabled = envFlag(env.POWERTOOLS_METRICS_DISABLED) ?? envFlag(env.POWERTOOLS_DEV) ?? false;
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.#single = single;
  }

  addMetric(name: string, unit: MetricUnit, value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`metric ${name}: ${value} is not a finite number`);
    if (!this.#stored.has(name) && this.#stored.size >= MAX_METRICS) this.publishStoredMetrics();
    const stored = this.#stored.get(name) ?? { unit, values: [] };
    stored.values.push(value);
    this.#stored.set(name, stored);
    if (this.#single || stored.values.length >= MAX_VALUES) this.publishStoredMetrics();
  }

  /**
   * Metrics published on their own, with extra dimensions (one alarm per connection); each
   * addMetric on it writes a line at once.
   */
  singleMetric(): { addDimension(name: string, value: string): void; addMetric: EmfMetrics["addMetric"] } {
    const dimensions = { ...this.#dimensions };
    const single = new EmfMetrics(this.#options, dimensions, true);
    return {
      addDimension: (name, value) => void (dimensions[name] = value),
      addMetric: (name, unit, value) => single.addMetric(name, unit, value),
    };
  }

  /** Writes what was added since the last call as one EMF line (nothing if nothing was added). */
  publishStoredMetrics(): void {
    if (this.#stored.size === 0) return;
    const metrics = [...this.#stored];
    this.#stored.clear();
    if (this.#disabled) return;
    const line: Record<string, unknown> = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: this.#namespace,
            Dimensions: [Object.keys(this.#dimensions)],
            Metrics: metrics.map(([name, { unit }]) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      ...this.#dimensions,
    };
    for (const [name, { values }] of metrics) line[name] = values.length === 1 ? values[0] : values;
    this.#write(JSON.stringify(line));
  }
}
