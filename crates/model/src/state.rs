//! `spelled_enum!`: enums whose wire spelling is fixed by the spec (`Shelved_offloaded`,
//! `Powering-off`, `In-use`). One macro so that parsing, printing, serde and the OpenAPI
//! schema can never disagree on a spelling.

#[macro_export]
macro_rules! spelled_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Every spelling, for error messages that list what is accepted.
            pub fn spellings() -> String {
                [$($text),+].join(", ")
            }
        }

        // Written out rather than derived: the derive does not see a variant's
        // `serde(rename)` through this macro and documented the Rust names instead.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $crate::state::Spelled for $name {
            fn parse_spelling(s: &str) -> Option<Self> {
                Self::parse(s)
            }
            fn all_spellings() -> String {
                Self::spellings()
            }
            fn spelling(self) -> &'static str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// What every `spelled_enum!` type offers, for code generic over them.
pub trait Spelled: Sized + Copy {
    fn parse_spelling(s: &str) -> Option<Self>;
    fn all_spellings() -> String;
    fn spelling(self) -> &'static str;
}

spelled_enum! {
    /// The life of resources whose only provider work is "make it" and "remove it":
    /// VPCs, subnets, security groups, key pairs, snapshots.
    pub enum LifecycleState {
        Creating => "Creating",
        Available => "Available",
        Deleting => "Deleting",
        Error => "Error",
    }
}

impl LifecycleState {
    /// Only a settled resource can be deleted; deleting twice is a conflict, not a no-op.
    pub fn deletable(self) -> bool {
        matches!(self, LifecycleState::Available | LifecycleState::Error)
    }
}

/// Why an action was refused in the current state: rendered as HTTP 409 naming the
/// state and what the user can do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub action: &'static str,
    pub state: &'static str,
    pub allowed: Vec<&'static str>,
    pub busy_with: Option<String>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot {} while the resource is {}", self.action, self.state)?;
        if let Some(op) = &self.busy_with {
            write!(f, " with an operation in progress ({op})")?;
        }
        if self.allowed.is_empty() {
            write!(f, "; no action is allowed in this state")
        } else {
            write!(f, "; allowed now: {}", self.allowed.join(", "))
        }
    }
}
