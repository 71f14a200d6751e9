//! The model IR: graph inputs, nodes with their ops and inferred per-sample shapes, in
//! topological order. Front-end neutral: the JSON loader and the QONNX importer both build a
//! [`Model`] through [`Model::new`], which sorts the nodes and runs every check.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use quant::QuantSpec;

use crate::error::{node_at, suggest, Error, Result};
pub use crate::op::Op;
use crate::shape;
use crate::tensor::checked_numel;

/// A graph input: its name and the shape of one sample (`[C, H, W]` or `[F]`).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphInput {
    /// The tensor name nodes use to read it.
    pub name: String,
    /// Per-sample shape, no batch axis.
    pub shape: Vec<usize>,
}

/// One node: it produces the tensor called `name` from `inputs` by `op`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique name, also the name of the tensor it produces.
    pub name: String,
    /// What it computes.
    pub op: Op,
    /// Names of the tensors it reads (graph inputs or other nodes).
    pub inputs: Vec<String>,
    /// Its output shape per sample, inferred by [`Model::new`] (ignored on input).
    pub shape: Vec<usize>,
}

impl Node {
    /// A node whose shape [`Model::new`] will infer.
    pub fn new(name: impl Into<String>, op: Op, inputs: Vec<String>) -> Self {
        Node {
            name: name.into(),
            op,
            inputs,
            shape: Vec::new(),
        }
    }
}

/// A validated model: nodes in topological order, every shape inferred.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The model's name.
    pub name: String,
    /// Graph inputs.
    pub inputs: Vec<GraphInput>,
    /// Names of the output nodes, in order.
    pub outputs: Vec<String>,
    /// Nodes, topologically sorted (ties keep the given order).
    pub nodes: Vec<Node>,
}

impl Model {
    /// Sort `nodes` topologically and check the whole graph: names, inputs, cycles,
    /// reachability from the outputs, op arity, tensor shapes, quantizer specs and shape
    /// inference. Errors name the node as `nodes[i] "name"` with `i` its index in `nodes`.
    pub fn new(
        name: impl Into<String>,
        inputs: Vec<GraphInput>,
        outputs: Vec<String>,
        nodes: Vec<Node>,
    ) -> Result<Model> {
        let name = name.into();
        if inputs.is_empty() {
            return Err(Error::new("manifest", "inputs", "the model has no inputs"));
        }
        // Where each name is defined: graph input i, or node i.
        let mut defined: HashMap<&str, Def> = HashMap::new();
        for (i, g) in inputs.iter().enumerate() {
            let at = format!("inputs[{i}] {:?}", g.name);
            if g.name.is_empty() {
                return Err(Error::new(at, "name", "must not be empty"));
            }
            if defined.insert(&g.name, Def::Input(i)).is_some() {
                return Err(Error::new(at, "name", "duplicate graph input name"));
            }
            if !(g.shape.len() == 1 || g.shape.len() == 3) {
                return Err(Error::new(
                    at,
                    "shape",
                    format!("{:?} must be [C, H, W] or [F] (one sample)", g.shape),
                ));
            }
            if g.shape.contains(&0) || checked_numel(&g.shape).is_none() {
                return Err(Error::new(
                    at,
                    "shape",
                    format!("{:?} is empty or too large", g.shape),
                ));
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            let at = node_at(i, &n.name);
            if n.name.is_empty() {
                return Err(Error::new(at, "name", "must not be empty"));
            }
            if let Some(prev) = defined.insert(&n.name, Def::Node(i)) {
                let other = match prev {
                    Def::Input(j) => format!("graph input inputs[{j}]"),
                    Def::Node(j) => format!("nodes[{j}]"),
                };
                return Err(Error::new(
                    at,
                    "name",
                    format!("duplicate name; {other} has it too"),
                ));
            }
        }
        let all_names: Vec<&str> = inputs
            .iter()
            .map(|g| g.name.as_str())
            .chain(nodes.iter().map(|n| n.name.as_str()))
            .collect();
        for (i, n) in nodes.iter().enumerate() {
            let at = node_at(i, &n.name);
            if n.inputs.len() != n.op.arity() {
                return Err(Error::new(
                    at,
                    "inputs",
                    format!(
                        "{} takes {} input(s), got {}",
                        n.op.name(),
                        n.op.arity(),
                        n.inputs.len()
                    ),
                ));
            }
            for (j, inp) in n.inputs.iter().enumerate() {
                if !defined.contains_key(inp.as_str()) {
                    let hint = suggest(inp, &all_names)
                        .map(|s| format!(" (did you mean {s:?}?)"))
                        .unwrap_or_default();
                    return Err(Error::new(
                        at,
                        format!("inputs[{j}]"),
                        format!("{inp:?} is neither a graph input nor a node{hint}"),
                    ));
                }
            }
        }
        if outputs.is_empty() {
            return Err(Error::new(
                "manifest",
                "outputs",
                "the model has no outputs",
            ));
        }
        for (i, o) in outputs.iter().enumerate() {
            let at = format!("outputs[{i}]");
            match defined.get(o.as_str()) {
                Some(Def::Node(_)) => {}
                Some(Def::Input(_)) => {
                    return Err(Error::new(
                        at,
                        "",
                        format!("{o:?} is a graph input, not a node"),
                    ))
                }
                None => return Err(Error::new(at, "", format!("{o:?} is not a node"))),
            }
            if outputs[..i].contains(o) {
                return Err(Error::new(at, "", format!("{o:?} is listed twice")));
            }
        }
        let node_index = |s: &str| match defined.get(s) {
            Some(Def::Node(j)) => Some(*j),
            _ => None,
        };
        let order = topo_order(&nodes, &node_index)?;
        // Reachability from the outputs.
        let mut used = vec![false; nodes.len()];
        let mut stack: Vec<usize> = outputs.iter().filter_map(|o| node_index(o)).collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut used[i], true) {
                stack.extend(nodes[i].inputs.iter().filter_map(|s| node_index(s)));
            }
        }
        if let Some(i) = used.iter().position(|u| !u) {
            return Err(Error::new(
                node_at(i, &nodes[i].name),
                "",
                "is not used by any output (is an input misnamed?)",
            ));
        }
        // Shapes and op checks in topological order.
        let mut shapes: HashMap<String, Vec<usize>> = inputs
            .iter()
            .map(|g| (g.name.clone(), g.shape.clone()))
            .collect();
        // Tensors that carry a quant node's codes: the spec that made them.
        let mut quantized: HashMap<String, QuantSpec> = HashMap::new();
        let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
        let mut sorted = Vec::with_capacity(slots.len());
        for i in order {
            let mut node = slots[i].take().expect("each index once");
            let at = node_at(i, &node.name);
            let in_shapes: Vec<&[usize]> = node
                .inputs
                .iter()
                .map(|s| shapes[s.as_str()].as_slice())
                .collect();
            let in_quant = quantized.get(node.inputs[0].as_str());
            node.shape = shape::check_node(&at, &node, &in_shapes, in_quant)?;
            match &node.op {
                Op::Quant { spec } => {
                    quantized.insert(node.name.clone(), spec.clone());
                }
                Op::MaxPool { .. } | Op::Flatten => {
                    if let Some(q) = in_quant.cloned() {
                        quantized.insert(node.name.clone(), q);
                    }
                }
                _ => {}
            }
            shapes.insert(node.name.clone(), node.shape.clone());
            sorted.push(node);
        }
        Ok(Model {
            name,
            inputs,
            outputs,
            nodes: sorted,
        })
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The per-sample shape of tensor `name` (a graph input or a node).
    pub fn shape_of(&self, name: &str) -> Option<&[usize]> {
        self.inputs
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.shape.as_slice())
            .or_else(|| self.node(name).map(|n| n.shape.as_slice()))
    }

    /// The nodes that read tensor `name`, in topological order.
    pub fn consumers(&self, name: &str) -> Vec<&Node> {
        self.nodes
            .iter()
            .filter(|n| n.inputs.iter().any(|i| i == name))
            .collect()
    }

    /// The `quant` node whose codes tensor `name` carries: the node itself, or the quant node
    /// before a chain of `maxpool`/`flatten` nodes (which keep codes). `None` for a float
    /// tensor.
    pub fn quant_source(&self, name: &str) -> Option<&Node> {
        let node = self.node(name)?;
        match &node.op {
            Op::Quant { .. } => Some(node),
            Op::MaxPool { .. } | Op::Flatten => self.quant_source(&node.inputs[0]),
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
enum Def {
    Input(usize),
    Node(usize),
}

/// Kahn's algorithm, ready nodes taken smallest index first (a sorted list stays as it is).
/// A cycle is an error naming a node on it and the cycle.
fn topo_order(nodes: &[Node], node_index: &dyn Fn(&str) -> Option<usize>) -> Result<Vec<usize>> {
    let n = nodes.len();
    let mut pending = vec![0usize; n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        for inp in &node.inputs {
            if let Some(j) = node_index(inp) {
                pending[i] += 1;
                users[j].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| pending[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &u in &users[i] {
            pending[u] -= 1;
            if pending[u] == 0 {
                ready.push(Reverse(u));
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every unsorted node has an unsorted input; walk inputs back until a node repeats.
    let start = (0..n)
        .find(|&i| pending[i] > 0)
        .expect("some node unsorted");
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let next = nodes[cur]
            .inputs
            .iter()
            .filter_map(|s| node_index(s))
            .find(|&j| pending[j] > 0)
            .expect("an unsorted node has an unsorted input");
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle: Vec<&str> = path[pos..]
                .iter()
                .rev()
                .map(|&p| nodes[p].name.as_str())
                .collect();
            cycle.push(cycle[0]);
            let first = path[pos..].iter().copied().min().expect("non-empty");
            return Err(Error::new(
                node_at(first, &nodes[first].name),
                "inputs",
                format!(
                    "is on a cycle: {}",
                    rotate(cycle, &nodes[first].name).join(" -> ")
                ),
            ));
        }
        path.push(next);
        cur = next;
    }
}

/// The closed cycle `a -> b -> ... -> a` rotated to start (and end) at `first`.
fn rotate<'a>(mut cycle: Vec<&'a str>, first: &str) -> Vec<&'a str> {
    cycle.pop();
    let k = cycle.iter().position(|&c| c == first).unwrap_or(0);
    cycle.rotate_left(k);
    cycle.push(cycle[0]);
    cycle
}
