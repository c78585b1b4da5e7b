//! Images: public defaults and project "my images".

use crate::spelled_enum;

spelled_enum! {
    pub enum ImageState {
        Creating => "Creating",
        Active => "Active",
        Deleting => "Deleting",
        Error => "Error",
    }
}

spelled_enum! {
    pub enum OsFamily {
        Linux => "linux",
        Windows => "windows",
    }
}

spelled_enum! {
    pub enum ImageVisibility {
        Public => "public",
        Project => "project",
    }
}
