/**
 * Labels on everything swarmlab creates. Clean-up finds leftovers by these
 * labels alone, so a crash or Ctrl-C never leaves anything it cannot find.
 */
export const labels = {
  /** What the object is: node, network, volume, ipvs-proof, client. */
  kind: 'io.swarmlab',
  cluster: 'io.swarmlab.cluster',
  role: 'io.swarmlab.role',
  node: 'io.swarmlab.node',
} as const;

export function clusterFilter(cluster?: string): { label: string[] } {
  return { label: cluster ? [`${labels.cluster}=${cluster}`] : [labels.cluster] };
}
