//! `obbackup graph`: the step graph as Graphviz DOT, edges labelled with rules.

use super::*;

/// Runs `obbackup graph`.
pub async fn run(
    config: std::path::PathBuf,
    target: TargetArgs,
    day: DayArgs,
) -> Result<u8, CliError> {
    if is_plan_file(&config) {
        // A saved plan: its graph as reviewed, without a cluster.
        let (_, text) = read_plan_file(&config)?;
        let file = PlanFile::parse(&text)?;
        output::result(&dot(&file.plan));
        return Ok(0);
    }
    let waits = no_waits();
    let evaluated = evaluate(&config, &target, &waits, today(&day)?).await?;
    evaluated.session.close().await;
    output::result(&dot(&evaluated.plan));
    Ok(0)
}

/// The step graph as Graphviz DOT (petgraph's writer), edges labelled with rules.
fn dot(plan: &Plan) -> String {
    use petgraph::dot::{Config as DotConfig, Dot};
    let mut graph = petgraph::graph::DiGraph::<String, String>::new();
    let nodes: Vec<_> = plan
        .steps
        .iter()
        .map(|s| {
            let text = match &s.kind {
                planner::StepKind::Sql(sql) => sql.shown.clone(),
                planner::StepKind::Wait(w) => render::wait_text(&w.until, s.tenant.as_deref()),
            };
            graph.add_node(format!("{}\n{text}", s.id))
        })
        .collect();
    let index: std::collections::HashMap<&planner::StepId, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.id, i))
        .collect();
    for e in &plan.edges {
        if let (Some(&a), Some(&b)) = (index.get(&e.from), index.get(&e.to)) {
            graph.add_edge(nodes[a], nodes[b], e.rule.to_string());
        }
    }
    format!(
        "{:?}",
        Dot::with_attr_getters(
            &graph,
            &[DotConfig::NodeNoLabel, DotConfig::EdgeNoLabel],
            &|_, e| format!("label = {:?}", e.weight()),
            &|_, (_, n)| format!("label = {n:?}, shape = box"),
        )
    )
}
