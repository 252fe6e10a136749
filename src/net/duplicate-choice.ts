/** What both ends of a connection see of it: its direction (mirrored at the other end) and when it opened here. */
export interface ConnectionView {
  direction: 'inbound' | 'outbound'
  timeline: { open: number }
}

/**
 * How long the end that was dialled leaves duplicates it received to the dialler before it closes
 * them itself (a dialler that never closes its extra connections cannot pile them up).
 */
export const DIALLER_DECIDES_MS = 5_000

/**
 * Which of a peer's direct connections this end closes so that both ends keep the same one. The
 * direction both ends agree on wins: connections dialled by the smaller peer id, or if there is
 * none, those dialled by the larger one; the others are closed on both ends. Among several of the
 * winning direction only their dialler chooses (its oldest): open times differ between the two
 * ends, so the dialled end waits `DIALLER_DECIDES_MS` for the dialler to close the rest.
 */
export function redundantConnections<C extends ConnectionView>(
  localPeer: string,
  remotePeer: string,
  direct: readonly C[],
  now: number,
): C[] {
  if (direct.length < 2) return []
  const preferred = localPeer < remotePeer ? 'outbound' : 'inbound'
  const winning = direct.some((c) => c.direction === preferred)
    ? preferred
    : preferred === 'outbound'
      ? 'inbound'
      : 'outbound'
  const pool = direct.filter((c) => c.direction === winning)
  const keep = pool.reduce((a, b) => (b.timeline.open < a.timeline.open ? b : a))
  return direct.filter(
    (c) =>
      c.direction !== winning ||
      (c !== keep && (winning === 'outbound' || now - c.timeline.open >= DIALLER_DECIDES_MS)),
  )
}
