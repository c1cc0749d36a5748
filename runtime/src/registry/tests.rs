use super::*;
use crate::key::owned;
use crate::store::Lookup;

static REGISTRY: Registry = Registry::new(Some(4), false, None);

fn call<K: KeyRef>(key: K, value: u8) -> bool {
    match REGISTRY.lookup::<K, _, _, ()>(crate::outcome::Whole::<u8>::default(), key) {
        Lookup::Hit(_) => false,
        Lookup::Miss(pending) => {
            pending.run(|| value);
            true
        }
    }
}

#[test]
fn a_call_gets_the_store_of_its_own_types_and_instantiation() {
    static MANY: Registry = Registry::new(Some(4), false, None);
    let first = MANY.caches.store::<(u8,), u8, ()>();
    // Same key and value, another instantiation; same instantiation, other types.
    let other_instance = MANY.caches.store::<(u8,), u8, (u8,)>();
    let other_value = MANY.caches.store::<(u8,), u16, ()>();
    assert!(!core::ptr::eq(first, other_instance));
    assert!(!core::ptr::addr_eq(first, other_value));
    assert!(core::ptr::eq(first, MANY.caches.store::<(u8,), u8, ()>()));
    assert!(core::ptr::eq(
        other_instance,
        MANY.caches.store::<(u8,), u8, (u8,)>()
    ));
    assert!(core::ptr::eq(
        other_value,
        MANY.caches.store::<(u8,), u16, ()>()
    ));
    // Each holds what it was given (under Miri, a wrong cast would be caught here).
    let hit = |store: &Store<(u8,), u8>| matches!(store.lookup((owned(&7u8),)), Lookup::Hit(7));
    if let Lookup::Miss(pending) = first.lookup((owned(&7u8),)) {
        pending.run(|| 7);
    }
    assert!(hit(MANY.caches.store::<(u8,), u8, ()>()));
    assert!(!hit(MANY.caches.store::<(u8,), u8, (u8,)>()));
    assert!(matches!(
        other_value.lookup((owned(&7u8),)),
        Lookup::Miss(_)
    ));
}

#[test]
fn each_instantiation_gets_its_own_store_and_controls_sum_them() {
    let a = REGISTRY.caches.store::<(u8,), u8, ()>();
    assert!(core::ptr::eq(a, REGISTRY.caches.store::<(u8,), u8, ()>()));
    assert!(call((owned(&1u8),), 1));
    assert!(call((owned(&1u16),), 1));
    assert!(!call((owned(&1u8),), 1));
    let info = REGISTRY.info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 2, 2));
    assert_eq!(info.maxsize, Some(4));
    REGISTRY.clear();
    assert_eq!(
        REGISTRY.info(),
        CacheInfo {
            maxsize: Some(4),
            ..CacheInfo::default()
        }
    );
}
