/** The libp2p protocol id of a pp-node protocol: `/pp/<chainId>/<name>/1.0.0`. */
export function protocolId(chainId: string, name: string): string {
  return `/pp/${chainId}/${name}/1.0.0`
}
