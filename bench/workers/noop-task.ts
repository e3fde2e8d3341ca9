// A piscina task that does nothing: a `run()` of it costs pure dispatch.
export default function noop(x: unknown): unknown {
  return x;
}
