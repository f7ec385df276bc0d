/// The BSON values are a module of their own (BSONCore, which does not link libmongoc); everything that talks to a
/// server uses them, so importing Mongo imports them too.
@_exported import BSONCore
