//! Query arguments for WHERE clauses built from optional filters: binds stay in one Vec so the clause and its
//! arguments cannot drift apart (the post list and the media library share this).

pub(crate) enum Arg {
    I(i64),
    S(String),
}

/// Adds an argument and answers its placeholder (`$n`).
pub(crate) fn next(args: &mut Vec<Arg>, arg: Arg) -> String {
    args.push(arg);
    format!("${}", args.len())
}

/// Binds every argument, in placeholder order, to a query.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::args::Arg::I(i) => q.bind(*i),
                $crate::args::Arg::S(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}
pub(crate) use bind_args;
