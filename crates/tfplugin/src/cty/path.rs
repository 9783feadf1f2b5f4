use std::fmt;

/// One step of an attribute path, as `AttributePath.Step` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    Attribute(String),
    ElementKeyString(String),
    ElementKeyInt(i64),
}

/// A path to a value inside an object, for diagnostics and `requires_replace`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    /// A path to a top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        AttributePath(vec![PathStep::Attribute(name.into())])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, step: PathStep) {
        self.0.push(step)
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn child_attr(&self, name: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Attribute(name.into()));
        p
    }

    pub fn child_index(&self, i: i64) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::ElementKeyInt(i));
        p
    }

    pub fn child_key(&self, k: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::ElementKeyString(k.into()));
        p
    }
}

impl fmt::Display for AttributePath {
    /// Renders like HCL traversal: `timeouts[0].create`, `tags["a"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::ElementKeyString(k) => write!(f, "[{k:?}]")?,
                PathStep::ElementKeyInt(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
