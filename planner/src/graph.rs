//! The step graph: steps as nodes, the edges of [`crate::rules`] between
//! them, and the execution order (Kahn's algorithm).
//!
//! Among the steps that are ready at once, a tie-break picks the next one:
//! (action, tenant, id) ascending, or the same key descending with
//! [`TieBreak::Reverse`]. It exists for deterministic output only; the tests
//! order every scenario both ways and check the same happens-before
//! assertions, so an ordering the rules do not carry would fail them.
//!
//! Errors are planner bugs and say so: an edge naming a step the plan does not
//! have, two steps with one id, or a cycle (reported with the steps of each
//! strongly connected component only, not everything downstream of it).
//!
//! Cost: O((steps + edges) · log steps).

use crate::rules::IndexEdge;
use crate::step::{Edge, Step, StepId};
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Which way ready steps are picked when several are ready at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TieBreak {
    /// Smallest (action, tenant, id) first: the order plans are shown in.
    #[default]
    Forward,
    /// Largest first: the most different order the edges allow, for tests.
    Reverse,
}

/// A bug in the planner's step graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum GraphError {
    /// An edge names a step that is not in the plan.
    #[error("internal error: rule {rule} orders step {id}, which is not in the plan")]
    #[diagnostic(
        code(obbackup::graph::unknown_step),
        help("this is a bug in obbackup; please report it with the configuration")
    )]
    UnknownStep {
        /// The rule that made the edge.
        rule: String,
        /// The missing step.
        id: StepId,
    },
    /// Two steps share an id.
    #[error("internal error: two steps have the id {0}")]
    #[diagnostic(
        code(obbackup::graph::duplicate_step),
        help("this is a bug in obbackup; please report it with the configuration")
    )]
    DuplicateStep(StepId),
    /// An edge names a step index past the end of the plan.
    #[error("internal error: rule {rule} orders step #{index}, but the plan has {steps} steps")]
    #[diagnostic(
        code(obbackup::graph::unknown_index),
        help("this is a bug in obbackup; please report it with the configuration")
    )]
    UnknownIndex {
        /// The rule that made the edge.
        rule: String,
        /// The index.
        index: usize,
        /// How many steps the plan has.
        steps: usize,
    },
    /// The rules made a cycle: each inner list is one strongly connected component.
    #[error("internal error: the ordering rules form a cycle through {}", cycles_text(.0))]
    #[diagnostic(
        code(obbackup::graph::cycle),
        help("this is a bug in obbackup; please report it with the configuration")
    )]
    Cycle(Vec<Vec<StepId>>),
}

fn cycles_text(cycles: &[Vec<StepId>]) -> String {
    cycles
        .iter()
        .map(|c| c.iter().map(StepId::as_str).collect::<Vec<_>>().join(" → "))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Orders `steps` along `edges`: returns the steps in execution order, each
/// with `depends_on` set to the ids of its direct predecessors (in execution
/// order), and the edges sorted by the positions of their ends.
///
/// Errors: [`GraphError`] when an edge names an unknown step, ids repeat, or
/// the edges form a cycle.
pub fn order(
    steps: Vec<Step>,
    edges: Vec<Edge>,
    tie_break: TieBreak,
) -> Result<(Vec<Step>, Vec<Edge>), GraphError> {
    let position_of = positions(&steps)?;
    let mut indexed = Vec::with_capacity(edges.len());
    for edge in &edges {
        let find = |id: &StepId| {
            position_of
                .get(id)
                .copied()
                .ok_or_else(|| GraphError::UnknownStep {
                    rule: edge.rule.to_string(),
                    id: id.clone(),
                })
        };
        indexed.push(IndexEdge {
            from: find(&edge.from)?,
            to: find(&edge.to)?,
            rule: edge.rule,
        });
    }
    drop(position_of);
    order_indexed(steps, &indexed, tie_break)
}

/// Step ids to positions; errors on a repeated id.
fn positions(steps: &[Step]) -> Result<foldhash::HashMap<&StepId, usize>, GraphError> {
    let mut position_of =
        foldhash::HashMap::with_capacity_and_hasher(steps.len(), Default::default());
    for (i, step) in steps.iter().enumerate() {
        if position_of.insert(&step.id, i).is_some() {
            return Err(GraphError::DuplicateStep(step.id.clone()));
        }
    }
    Ok(position_of)
}

/// [`order`] for edges given by step index, as [`crate::rules::pairs`] makes
/// them. Errors: an index outside `steps` or a repeated id (bugs), a cycle.
pub fn order_indexed(
    steps: Vec<Step>,
    edges: &[IndexEdge],
    tie_break: TieBreak,
) -> Result<(Vec<Step>, Vec<Edge>), GraphError> {
    drop(positions(&steps)?);
    let mut graph = DiGraph::<usize, usize>::with_capacity(steps.len(), edges.len());
    let nodes: Vec<NodeIndex> = (0..steps.len()).map(|i| graph.add_node(i)).collect();
    let mut ends = Vec::with_capacity(edges.len());
    for (e, edge) in edges.iter().enumerate() {
        for end in [edge.from, edge.to] {
            if end >= steps.len() {
                return Err(GraphError::UnknownIndex {
                    rule: edge.rule.to_string(),
                    index: end,
                    steps: steps.len(),
                });
            }
        }
        graph.add_edge(nodes[edge.from], nodes[edge.to], e);
        ends.push((edge.from, edge.to));
    }
    // The tie-break key, ranked once: the ready set then compares integers.
    let mut by_key: Vec<usize> = (0..steps.len()).collect();
    by_key.sort_unstable_by(|&a, &b| {
        let key = |i: usize| {
            let s = &steps[i];
            (s.action, s.tenant.as_deref().unwrap_or(""), s.id.as_str())
        };
        key(a).cmp(&key(b))
    });
    let mut key_rank = vec![0usize; steps.len()];
    for (rank, &i) in by_key.iter().enumerate() {
        key_rank[i] = match tie_break {
            TieBreak::Forward => rank,
            TieBreak::Reverse => steps.len() - 1 - rank,
        };
    }
    let mut indegree = vec![0usize; steps.len()];
    for &(_, b) in &ends {
        indegree[b] += 1;
    }
    // Smallest rank first.
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = (0..steps.len())
        .filter(|&i| indegree[i] == 0)
        .map(|i| Reverse((key_rank[i], i)))
        .collect();
    let mut sequence = Vec::with_capacity(steps.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        sequence.push(i);
        for next in graph.neighbors_directed(nodes[i], petgraph::Direction::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(Reverse((key_rank[j], j)));
            }
        }
    }
    if sequence.len() < steps.len() {
        let mut cycles: Vec<Vec<StepId>> = petgraph::algo::tarjan_scc(&graph)
            .into_iter()
            .filter(|component| {
                component.len() > 1
                    || component
                        .first()
                        .is_some_and(|&n| graph.contains_edge(n, n))
            })
            .map(|component| {
                let mut ids: Vec<StepId> = component
                    .iter()
                    .map(|&n| steps[graph[n]].id.clone())
                    .collect();
                ids.sort();
                ids
            })
            .collect();
        cycles.sort();
        return Err(GraphError::Cycle(cycles));
    }
    let mut rank = vec![0; steps.len()];
    for (pos, &i) in sequence.iter().enumerate() {
        rank[i] = pos;
    }
    let mut order_of_edges: Vec<usize> = (0..edges.len()).collect();
    order_of_edges.sort_by_key(|&e| (rank[ends[e].0], rank[ends[e].1], e));
    let mut incoming: Vec<Vec<StepId>> = vec![Vec::new(); steps.len()];
    let sorted: Vec<Edge> = order_of_edges
        .into_iter()
        .map(|e| {
            let (from, to) = ends[e];
            incoming[to].push(steps[from].id.clone());
            Edge {
                from: steps[from].id.clone(),
                to: steps[to].id.clone(),
                rule: edges[e].rule,
            }
        })
        .collect();
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    for i in sequence {
        if let Some(mut step) = slots[i].take() {
            step.depends_on = std::mem::take(&mut incoming[i]);
            ordered.push(step);
        }
    }
    Ok((ordered, sorted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;
    use crate::step::{StepAction, StepKind, Wait, WaitUntil};

    fn step(tenant: &str, verb: &str, action: StepAction) -> Step {
        Step::new(
            StepId::tenant(tenant, verb),
            action,
            StepKind::Wait(Wait {
                until: WaitUntil::NoBackupJobs,
                query: String::new(),
                timeout_seconds: 1,
                tenant_id: None,
            }),
            Some(tenant),
            tenant,
        )
    }

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            from: StepId::tenant("t", from),
            to: StepId::tenant("t", to),
            rule: Rule::ArchiveDestBeforeArchivelog,
        }
    }

    fn ids(steps: &[Step]) -> Vec<&str> {
        steps.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn edges_decide_the_order_and_the_tie_break_only_the_rest() {
        let steps = vec![
            step("t", "a", StepAction::Archivelog),
            step("t", "b", StepAction::SetArchiveDest),
            step("t", "c", StepAction::Backup),
        ];
        // Without edges, the tie-break alone: forward by action, reverse the other way.
        let (forward, _) = order(steps.clone(), vec![], TieBreak::Forward).expect("orders");
        assert_eq!(ids(&forward), ["tenant.t:b", "tenant.t:a", "tenant.t:c"]);
        let (reverse, _) = order(steps.clone(), vec![], TieBreak::Reverse).expect("orders");
        assert_eq!(ids(&reverse), ["tenant.t:c", "tenant.t:a", "tenant.t:b"]);
        // An edge c → b wins over either tie-break.
        for tie in [TieBreak::Forward, TieBreak::Reverse] {
            let (ordered, edges) = order(steps.clone(), vec![edge("c", "b")], tie).expect("orders");
            let at = |id: &str| ordered.iter().position(|s| s.id == id);
            assert!(
                at("tenant.t:c") < at("tenant.t:b"),
                "{tie:?}: {:?}",
                ids(&ordered)
            );
            let b = ordered.iter().find(|s| s.id == "tenant.t:b").expect("b");
            assert_eq!(b.depends_on, vec![StepId::tenant("t", "c")]);
            assert_eq!(edges.len(), 1);
        }
    }

    #[test]
    fn an_edge_to_an_unknown_step_is_a_loud_error() {
        let steps = vec![step("t", "a", StepAction::Archivelog)];
        let err = order(steps, vec![edge("a", "ghost")], TieBreak::Forward).expect_err("fails");
        assert_eq!(
            err,
            GraphError::UnknownStep {
                rule: "archive_dest_before_archivelog".into(),
                id: StepId::tenant("t", "ghost")
            }
        );
    }

    #[test]
    fn an_edge_to_an_index_past_the_plan_is_a_loud_error() {
        let steps = vec![step("t", "a", StepAction::Archivelog)];
        let edge = IndexEdge {
            from: 0,
            to: 3,
            rule: Rule::ArchiveDestBeforeArchivelog,
        };
        let err = order_indexed(steps, &[edge], TieBreak::Forward).expect_err("fails");
        assert_eq!(
            err,
            GraphError::UnknownIndex {
                rule: "archive_dest_before_archivelog".into(),
                index: 3,
                steps: 1
            }
        );
    }

    #[test]
    fn duplicate_ids_are_a_loud_error() {
        let steps = vec![
            step("t", "a", StepAction::Archivelog),
            step("t", "a", StepAction::Backup),
        ];
        let err = order(steps, vec![], TieBreak::Forward).expect_err("fails");
        assert_eq!(err, GraphError::DuplicateStep(StepId::tenant("t", "a")));
    }

    #[test]
    fn a_cycle_names_only_its_own_steps() {
        // a → b → c → a is the cycle; d hangs off it and e is free.
        let steps = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|v| step("t", v, StepAction::Backup))
            .collect();
        let edges = vec![
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "a"),
            edge("c", "d"),
        ];
        let err = order(steps, edges, TieBreak::Forward).expect_err("cycle");
        assert_eq!(
            err,
            GraphError::Cycle(vec![vec![
                StepId::tenant("t", "a"),
                StepId::tenant("t", "b"),
                StepId::tenant("t", "c"),
            ]])
        );
        assert!(
            err.to_string()
                .contains("tenant.t:a → tenant.t:b → tenant.t:c")
        );
        assert!(!err.to_string().contains("tenant.t:d"));
    }
}
