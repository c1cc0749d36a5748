use super::{Backend, Key, Persistent, arg};
use crate::persist::{Namespace, Policy};

fn namespace(version: &'static str) -> Namespace {
    Namespace {
        krate: "py38",
        version,
        function: "tests::f",
        types: "(u32) -> String",
    }
}

fn at(path: &'static str, version: &'static str) -> Persistent {
    Persistent::new(
        Backend::Disk(Some(path)),
        namespace(version),
        Policy::default(),
    )
}

#[test]
fn another_version_does_not_read_what_an_earlier_one_wrote() {
    let path = std::env::temp_dir().join(format!("py38-versions-{}.lmdb", std::process::id()));
    let path: &'static str = String::leak(path.to_string_lossy().into_owned());
    let v1 = at(path, "1");
    let v2 = at(path, "2");
    let key = || Key::new().part(arg(&7_u32));
    assert_eq!(v1.call(key(), || "one".to_owned()), "one");
    assert_eq!(v1.call(key(), || "not run".to_owned()), "one");
    assert_eq!(v2.call(key(), || "two".to_owned()), "two", "v2 misses");
    assert_eq!(
        v1.call(key(), || "not run".to_owned()),
        "one",
        "v1 keeps its own"
    );
    assert_eq!((v1.info().currsize, v2.info().currsize), (1, 1));
    v1.clear();
    assert_eq!((v1.info().currsize, v2.info().currsize), (0, 1));
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_value_that_does_not_decode_is_a_miss_and_is_counted() {
    let path = std::env::temp_dir().join(format!("py38-decode-{}.lmdb", std::process::id()));
    let path: &'static str = String::leak(path.to_string_lossy().into_owned());
    let text = at(path, "1");
    let key = || Key::new().part(arg(&1_u32));
    assert_eq!(text.call(key(), || "text".to_owned()), "text");
    // The same namespace read as another type: what a build that changed a type without
    // changing the signature text would see (say, through a type alias).
    let number = at(path, "1");
    assert_eq!(number.call(key(), || 5_u64), 5);
    assert_eq!(number.errors(), 1);
    assert_eq!(number.info().misses, 1);
    let _ = std::fs::remove_file(path);
}
