//! Wire types of the agent-hub sync protocol. (to be written)
