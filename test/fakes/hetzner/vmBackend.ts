/**
 * Real machines behind the fake API (the VM lab): the same routes and state, but a server is a VM.
 * Each call finishes its work on the machine before the API answers, so an action the client then
 * waits for describes what really happened.
 */
export interface VmBackend {
  /** Boots the server's machine from its image with the request's user_data; answers its IPv4 address. */
  boot(server: { id: number; name: string; imageId: number; userData: string | null }): Promise<string>;
  /** A hard power cut, like the API's poweroff. */
  powerOff(serverId: number): Promise<void>;
  powerOn(serverId: number): Promise<void>;
  /** Copies the server's disk into an image that later boots can start from. */
  snapshot(serverId: number, imageId: number): Promise<void>;
  remove(serverId: number): Promise<void>;
  removeImage(imageId: number): Promise<void>;
}
