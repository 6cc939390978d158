import { type Admin, AssignerProtocol } from 'kafkajs';
import { retryKafkaRead } from './kafka.ts';

export interface GroupMember {
  memberId: string;
  clientId: string;
  partitions: number[];
}

export interface GroupAssignments {
  /** Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  members: GroupMember[];
  /** Partitions of the topic no member owns (during a rebalance, or with no members). */
  unassigned: number[];
  /** True when the group is Stable and every partition has exactly one owner. */
  complete: boolean;
}

/** The broker's view of who owns which partition (DescribeGroups), not the members' own. */
export async function describeAssignments(
  admin: Admin,
  groupId: string,
  topic: string,
  partitionCount: number,
): Promise<GroupAssignments> {
  const { groups } = await retryKafkaRead(() => admin.describeGroups([groupId]));
  const group = groups[0];
  const members = (group?.members ?? []).map((m) => {
    // Empty while the group is between generations.
    const decoded =
      m.memberAssignment.length > 0
        ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        : null;
    const partitions = [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
    return { memberId: m.memberId, clientId: m.clientId, partitions };
  });
  const owned = members.flatMap((m) => m.partitions);
  const unassigned = Array.from({ length: partitionCount }, (_, p) => p).filter(
    (p) => !owned.includes(p),
  );
  const state = group?.state ?? 'Unknown';
  const complete = state === 'Stable' && unassigned.length === 0 && owned.length === partitionCount;
  return { state, members, unassigned, complete };
}
