//! Pretty-printer for [`crate::ast`]: one module per file, opened with
//! `` `default_nettype none `` and `` `timescale ``, closed with `` `resetall ``; one parameter or
//! port per line with a comment, ports grouped by interface, columns aligned; 4-space indent.
//! Output is deterministic: the same AST always prints the same bytes.

use std::fmt::Write;

mod expr;

pub use expr::expr;
use expr::operand;

use crate::ast::{Decl, Dir, Expr, Instance, Item, Module, Stmt};

/// The text of a `.sv` file holding `module`.
pub fn module_file(module: &Module) -> String {
    let mut out = String::new();
    out.push_str("`default_nettype none\n`timescale 1ns / 1ps\n\n");
    for line in &module.doc {
        comment(&mut out, 0, line);
    }
    write!(out, "module {}", module.name).unwrap();
    if !module.params.is_empty() {
        out.push_str(" #(\n");
        for (i, p) in module.params.iter().enumerate() {
            comment(&mut out, 1, &p.doc);
            let sep = if i + 1 < module.params.len() { "," } else { "" };
            writeln!(
                out,
                "    parameter int {} = {}{sep}",
                p.name,
                expr(&p.value)
            )
            .unwrap();
        }
        out.push(')');
    }
    out.push_str(" (\n");
    ports(&mut out, module);
    out.push_str(");\n");
    for item in &module.items {
        self::item(&mut out, 1, item);
    }
    out.push_str("endmodule\n\n`resetall\n");
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn comment(out: &mut String, level: usize, text: &str) {
    for line in text.lines() {
        indent(out, level);
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            writeln!(out, "// {line}").unwrap();
        }
    }
}

fn range(width: &Option<Expr>) -> String {
    match width {
        None => String::new(),
        Some(Expr::Int(v)) => format!("[{}:0]", v - 1),
        Some(w) => format!("[{}-1:0]", operand(w)),
    }
}

fn ports(out: &mut String, module: &Module) {
    let all: Vec<_> = module.ports.iter().flat_map(|g| g.ports.iter()).collect();
    let ty = |signed: bool| if signed { "wire signed" } else { "wire" };
    let ty_w = all.iter().map(|p| ty(p.signed).len()).max().unwrap_or(0);
    let range_w = all.iter().map(|p| range(&p.width).len()).max().unwrap_or(0);
    let name_w = all.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let total = all.len();
    let mut n = 0;
    for group in &module.ports {
        comment(out, 1, &group.doc);
        for p in &group.ports {
            n += 1;
            let dir = match p.dir {
                Dir::In => "input ",
                Dir::Out => "output",
            };
            let sep = if n < total { "," } else { "" };
            let mut line = format!(
                "    {dir} {:ty_w$} {:range_w$} {}{sep}",
                ty(p.signed),
                range(&p.width),
                p.name
            );
            if !p.doc.is_empty() {
                let pad = name_w + 1 - p.name.len() - sep.len();
                line.push_str(&" ".repeat(pad));
                write!(line, " // {}", p.doc).unwrap();
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

fn decl(out: &mut String, level: usize, d: &Decl) {
    comment(out, level, &d.doc);
    indent(out, level);
    out.push_str("logic ");
    if d.signed {
        out.push_str("signed ");
    }
    let r = range(&d.width);
    if !r.is_empty() {
        write!(out, "{r} ").unwrap();
    }
    out.push_str(&d.name);
    if let Some(depth) = &d.depth {
        write!(out, " [{}]", expr(depth)).unwrap();
    }
    out.push_str(";\n");
}

fn item(out: &mut String, level: usize, it: &Item) {
    match it {
        Item::Comment(text) => {
            out.push('\n');
            comment(out, level, text);
        }
        Item::LocalParam(p) => {
            comment(out, level, &p.doc);
            indent(out, level);
            let ty = p
                .width
                .map_or("int".to_string(), |w| format!("logic [{}:0]", w - 1));
            writeln!(out, "localparam {ty} {} = {};", p.name, expr(&p.value)).unwrap();
        }
        Item::Decl(d) => decl(out, level, d),
        Item::Enum {
            name,
            width,
            members,
            doc,
        } => {
            comment(out, level, doc);
            indent(out, level);
            writeln!(out, "typedef enum logic [{}:0] {{", width - 1).unwrap();
            for (i, (m, code)) in members.iter().enumerate() {
                indent(out, level + 1);
                let sep = if i + 1 < members.len() { "," } else { "" };
                writeln!(out, "{m} = {width}'d{code}{sep}").unwrap();
            }
            indent(out, level);
            writeln!(out, "}} {name};").unwrap();
        }
        Item::TypedVar { ty, name, doc } => {
            comment(out, level, doc);
            indent(out, level);
            writeln!(out, "{ty} {name};").unwrap();
        }
        Item::Assign(l, r) => {
            indent(out, level);
            writeln!(out, "assign {} = {};", expr(l), expr(r)).unwrap();
        }
        Item::AlwaysFf(clk, body) => {
            indent(out, level);
            writeln!(out, "always_ff @(posedge {clk}) begin").unwrap();
            stmts(out, level + 1, body, "<=");
            indent(out, level);
            out.push_str("end\n");
        }
        Item::AlwaysComb(body) => {
            indent(out, level);
            out.push_str("always_comb begin\n");
            stmts(out, level + 1, body, "=");
            indent(out, level);
            out.push_str("end\n");
        }
        Item::Instance(inst) => instance(out, level, inst),
        Item::Generate {
            label,
            var,
            count,
            items,
        } => {
            indent(out, level);
            writeln!(
                out,
                "for (genvar {var} = 0; {var} < {}; {var} = {var} + 1) begin : {label}",
                expr(count)
            )
            .unwrap();
            for i in items {
                item(out, level + 1, i);
            }
            indent(out, level);
            out.push_str("end\n");
        }
        Item::SimCheck(clk, body) => {
            out.push_str("`ifndef SYNTHESIS\n");
            indent(out, level);
            writeln!(out, "always_ff @(posedge {clk}) begin").unwrap();
            stmts(out, level + 1, body, "<=");
            indent(out, level);
            out.push_str("end\n`endif\n");
        }
    }
}

fn instance(out: &mut String, level: usize, inst: &Instance) {
    indent(out, level);
    out.push_str(&inst.module);
    let list = |out: &mut String, items: &[(String, Expr)]| {
        let w = items.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (i, (name, value)) in items.iter().enumerate() {
            indent(out, level + 1);
            let sep = if i + 1 < items.len() { "," } else { "" };
            writeln!(out, ".{name:w$} ({}){sep}", expr(value)).unwrap();
        }
    };
    if !inst.params.is_empty() {
        out.push_str(" #(\n");
        list(out, &inst.params);
        indent(out, level);
        out.push(')');
    }
    writeln!(out, " {} (", inst.name).unwrap();
    list(out, &inst.ports);
    indent(out, level);
    out.push_str(");\n");
}

fn stmts(out: &mut String, level: usize, body: &[Stmt], assign_op: &str) {
    for s in body {
        stmt(out, level, s, assign_op);
    }
}

fn stmt(out: &mut String, level: usize, s: &Stmt, op: &str) {
    match s {
        Stmt::Assign(l, r) => {
            indent(out, level);
            writeln!(out, "{} {op} {};", expr(l), expr(r)).unwrap();
        }
        Stmt::If(c, then, els) => {
            indent(out, level);
            writeln!(out, "if ({}) begin", expr(c)).unwrap();
            stmts(out, level + 1, then, op);
            indent(out, level);
            match els.as_slice() {
                [] => out.push_str("end\n"),
                [Stmt::If(..)] => {
                    out.push_str("end else ");
                    let mut nested = String::new();
                    stmt(&mut nested, level, &els[0], op);
                    out.push_str(nested.trim_start());
                }
                _ => {
                    out.push_str("end else begin\n");
                    stmts(out, level + 1, els, op);
                    indent(out, level);
                    out.push_str("end\n");
                }
            }
        }
        Stmt::For(var, from, to, body) => {
            indent(out, level);
            writeln!(
                out,
                "for (int {var} = {}; {var} < {}; {var} = {var} + 1) begin",
                expr(from),
                expr(to)
            )
            .unwrap();
            stmts(out, level + 1, body, op);
            indent(out, level);
            out.push_str("end\n");
        }
        Stmt::Fatal(fmt, args) => {
            indent(out, level);
            let mut parts = vec!["1".to_string(), format!("\"%m: {fmt}\"")];
            parts.extend(args.iter().map(expr));
            writeln!(out, "$fatal({});", parts.join(", ")).unwrap();
        }
        Stmt::Comment(text) => comment(out, level, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{e, Param, Port, PortGroup};

    #[test]
    fn prints_a_documented_aligned_module() {
        let m = Module {
            name: "demo".into(),
            doc: vec!["A demo.".into()],
            params: vec![Param {
                name: "WIDTH".into(),
                value: e::int(8),
                doc: "Data width.".into(),
                width: None,
            }],
            ports: vec![PortGroup {
                doc: "Clock".into(),
                ports: vec![
                    Port {
                        dir: Dir::In,
                        name: "clk".into(),
                        width: None,
                        signed: false,
                        doc: "clock".into(),
                    },
                    Port {
                        dir: Dir::Out,
                        name: "q".into(),
                        width: Some(e::id("WIDTH")),
                        signed: true,
                        doc: "data".into(),
                    },
                ],
            }],
            items: vec![Item::Assign(
                e::id("q"),
                e::add(e::id("a"), e::mul(e::id("b"), e::lit(4, 3))),
            )],
        };
        let text = module_file(&m);
        assert!(text.starts_with("`default_nettype none\n"));
        assert!(text.contains("    parameter int WIDTH = 8\n"));
        assert!(
            text.contains("    input  wire                    clk, // clock\n"),
            "{text}"
        );
        assert!(
            text.contains("    output wire signed [WIDTH-1:0] q    // data\n"),
            "{text}"
        );
        assert!(text.contains("assign q = a + (b * 4'd3);"));
        assert!(text.ends_with("endmodule\n\n`resetall\n"));
    }
}
